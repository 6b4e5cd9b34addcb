#include "util/log.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

namespace ecrm::util {

namespace {

// Workflow-command property values (title=…) additionally escape the characters that delimit
// properties (actions/runner ActionCommand.EscapeProperty).
std::string escape_command_property(std::string_view text) {
  std::string out;
  for (char c : escape_command_data(text)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out.push_back(c);
  }
  return out;
}

// A workflow command is one line; a message ending in a newline would otherwise end in "%0A".
std::string_view without_trailing_newlines(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  text = without_trailing_newlines(text);
  std::vector<std::string_view> lines;
  while (true) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) return lines;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

struct Log::State {
  mutable std::mutex mutex;
  bool actions = false;
  bool verbose = false;
  std::vector<std::string> secrets;
  std::string* sink = nullptr;

  // Every byte covered by any occurrence of any secret is hidden, and each covered run becomes one
  // "***". Replacing secret by secret instead would let overlapping secrets leak: with secrets
  // "abcdef" and "cdefgh", replacing the first in "abcdefgh" leaves "***gh".
  std::string redact(std::string_view text) const {
    if (secrets.empty() || text.empty()) return std::string(text);
    std::vector<bool> covered(text.size(), false);
    bool any = false;
    for (const std::string& secret : secrets) {
      for (std::size_t at = text.find(secret); at != std::string_view::npos;
           at = text.find(secret, at + 1)) {
        std::fill(covered.begin() + static_cast<std::ptrdiff_t>(at),
                  covered.begin() + static_cast<std::ptrdiff_t>(at + secret.size()), true);
        any = true;
      }
    }
    if (!any) return std::string(text);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (!covered[i]) {
        out.push_back(text[i]);
      } else if (i == 0 || !covered[i - 1]) {
        out += "***";
      }
    }
    return out;
  }

  // Callers pass lines that are already redacted (or, for ::add-mask::, deliberately not).
  void write_line(std::string_view line) const {
    if (sink != nullptr) {
      sink->append(line);
      sink->push_back('\n');
      return;
    }
    std::FILE* stream = actions ? stdout : stderr;
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);  // interleaves correctly with child processes and a crash loses nothing
  }

  // Plain (non-command) output: the prefix on the first line, continuation lines aligned under it.
  void write_plain(std::string_view prefix, std::string_view message) const {
    std::string redacted = redact(message);
    std::string indent(prefix.size(), ' ');
    bool first = true;
    for (std::string_view line : split_lines(redacted)) {
      std::string out(first ? prefix : std::string_view(indent));
      // Under Actions a line starting with "::" is a workflow command; text that came from a
      // server (an error body, a tag name) must never be able to issue one.
      if (actions && out.empty() && line.substr(0, 2) == "::") out = " ";
      out.append(line);
      write_line(out);
      first = false;
    }
  }
};

thread_local std::string t_context;

void Log::set_thread_context(std::string context) {
  t_context = std::move(context);
}
const std::string& Log::thread_context() {
  return t_context;
}

Log& Log::get() {
  static Log instance;
  return instance;
}

// Never deleted: code running in static destructors may still log.
Log::Log() : state_(new State) {}

void Log::set_actions(bool actions) {
  std::lock_guard lock(state_->mutex);
  state_->actions = actions;
}

bool Log::actions() const {
  std::lock_guard lock(state_->mutex);
  return state_->actions;
}

void Log::set_verbose(bool verbose) {
  std::lock_guard lock(state_->mutex);
  state_->verbose = verbose;
}

bool Log::verbose() const {
  std::lock_guard lock(state_->mutex);
  return state_->verbose;
}

void Log::add_secret(std::string_view secret) {
  if (secret.empty()) return;
  std::lock_guard lock(state_->mutex);
  auto& secrets = state_->secrets;
  if (std::find(secrets.begin(), secrets.end(), secret) != secrets.end()) return;
  secrets.emplace_back(secret);
  std::stable_sort(secrets.begin(), secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  // The runner unescapes command data, so a secret holding '%' or a newline must be escaped to be
  // registered as itself. This is the only line that carries a secret: it is how the runner
  // learns what to mask in everything the step prints afterwards.
  if (state_->actions) state_->write_line("::add-mask::" + escape_command_data(secret));
}

std::string Log::redact(std::string_view text) const {
  std::lock_guard lock(state_->mutex);
  return state_->redact(text);
}

void Log::reset_for_tests() {
  std::lock_guard lock(state_->mutex);
  state_->secrets.clear();
  state_->actions = false;
  state_->verbose = false;
}

void Log::debug(std::string_view message) {
  std::lock_guard lock(state_->mutex);
  if (!state_->verbose) return;
  state_->write_plain("debug: " + t_context, message);
}

void Log::info(std::string_view message) {
  std::lock_guard lock(state_->mutex);
  state_->write_plain(t_context, message);
}

void Log::warning(std::string_view message) {
  std::lock_guard lock(state_->mutex);
  if (state_->actions) {
    std::string data = state_->redact(t_context + std::string(without_trailing_newlines(message)));
    state_->write_line("::warning::" + escape_command_data(data));
  } else {
    state_->write_plain("warning: " + t_context, message);
  }
}

void Log::error(std::string_view message, std::string_view title) {
  std::lock_guard lock(state_->mutex);
  if (!state_->actions) {
    state_->write_plain("error: " + t_context, message);
    return;
  }
  std::string line = "::error";
  if (!title.empty()) {
    line += " title=" + escape_command_property(state_->redact(without_trailing_newlines(title)));
  }
  line += "::";
  line += escape_command_data(
      state_->redact(t_context + std::string(without_trailing_newlines(message))));
  state_->write_line(line);
}

void Log::group_begin(std::string_view title) {
  std::lock_guard lock(state_->mutex);
  if (!t_context.empty()) {
    state_->write_plain(t_context, title);
    return;
  }
  std::string redacted = state_->redact(without_trailing_newlines(title));
  if (state_->actions) {
    state_->write_line("::group::" + escape_command_data(redacted));
  } else {
    state_->write_line("== " + redacted);
  }
}

void Log::group_end() {
  std::lock_guard lock(state_->mutex);
  if (!t_context.empty()) return;
  if (state_->actions) state_->write_line("::endgroup::");
}

void Log::set_sink_for_tests(std::string* sink) {
  std::lock_guard lock(state_->mutex);
  state_->sink = sink;
}

std::string escape_command_data(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace ecrm::util
