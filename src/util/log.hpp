#pragma once
// The one place output reaches the user. Thread-safe.
// Under GitHub Actions (set_actions(true)) lines go to stdout, where the runner reads workflow
// commands; errors become `::error::`, groups `::group::`. Elsewhere lines go to stderr so stdout
// stays free for `name=value` outputs.
// Every secret is registered with add_secret() before anything else is printed: under Actions
// that prints `::add-mask::`, and every later line has the secret replaced by `***`.
#include <string>
#include <string_view>

namespace ecrm::util {

class Log {
 public:
  static Log& get();

  void set_actions(bool actions);
  bool actions() const;
  void set_verbose(bool verbose);
  bool verbose() const;

  void add_secret(std::string_view secret);
  std::string redact(std::string_view text) const;

  void debug(std::string_view message);  // only with verbose
  void info(std::string_view message);
  void warning(std::string_view message);
  // `title` is a short phrase ("Mirror failed"); under Actions it is the annotation's title.
  void error(std::string_view message, std::string_view title = {});
  void group_begin(std::string_view title);
  void group_end();

  // A label for every line this thread prints ("[3/20] "), set while one of several images
  // copying at once is at work; groups are not opened then (they would interleave).
  static void set_thread_context(std::string context);
  static const std::string& thread_context();

  // Redirect output (tests). nullptr restores the default.
  void set_sink_for_tests(std::string* sink);
  // Forget secrets and settings (tests share one process-wide Log).
  void reset_for_tests();

 private:
  Log();
  struct State;
  State* state_;
};

// Escapes workflow-command data: % → %25, \r → %0D, \n → %0A.
std::string escape_command_data(std::string_view text);

}  // namespace ecrm::util
