// $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY writers (actions/runner file commands; the heredoc form
// and its delimiter follow actions/toolkit's prepareKeyValueMessage).
#include "cli/outputs.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/crypto.hpp"

namespace ecrm::cli {
namespace {

bool is_multiline(const std::string& value) {
  return value.find_first_of("\r\n") != std::string::npos;
}

// 128 random bits never collide in practice; the loop is a bounded guard, as the toolkit's
// check that the delimiter is absent from the value.
std::string heredoc_delimiter(const std::string& value) {
  std::string delimiter;
  for (int attempt = 0; attempt < 8; ++attempt) {
    delimiter = "ghadelimiter_" + util::random_hex(16);
    if (value.find(delimiter) == std::string::npos) break;
  }
  return delimiter;
}

// Opens for append only: the runner creates these files and may already hold earlier steps'
// lines in them.
Status append_to(const std::string& path, const std::string& text, ErrorKind kind, const char* what,
                 const char* hint) {
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    int err = errno;
    return make_error(kind,
                      std::string("cannot open ") + what + " \"" + path +
                          "\" for appending: " + std::strerror(err),
                      hint);
  }
  bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  int err = errno;
  bool closed = std::fclose(file) == 0;
  if (!closed && written) err = errno;
  if (!written || !closed) {
    return make_error(
        kind, std::string("cannot write ") + what + " \"" + path + "\": " + std::strerror(err),
        hint);
  }
  return {};
}

}  // namespace

std::string format_outputs(const OutputList& outputs) {
  std::string text;
  for (const auto& [name, value] : outputs) {
    if (!is_multiline(value)) {
      text += name + "=" + value + "\n";
      continue;
    }
    std::string delimiter = heredoc_delimiter(value);
    text += name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
  }
  return text;
}

Status write_outputs(const std::string& path, const OutputList& outputs) {
  std::string text = format_outputs(outputs);
  if (path.empty()) {
    bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
    ok = std::fflush(stdout) == 0 && ok;
    if (!ok) {
      return make_error(ErrorKind::Internal, "cannot write the step outputs to stdout",
                        "Check that stdout is not closed, or pass --output-file.");
    }
    return {};
  }
  return append_to(path, text, ErrorKind::Usage, "output file",
                   "Point --output-file (or GITHUB_OUTPUT) at a writable file, or pass "
                   "--output-file \"\" to print the outputs.");
}

Status append_step_summary(const std::string& path, const std::string& markdown) {
  if (path.empty()) return {};
  std::string text = markdown;
  // Keep the next step's summary from joining our last line.
  if (!text.empty() && text.back() != '\n') text += '\n';
  return append_to(path, text, ErrorKind::Internal, "step summary",
                   "GITHUB_STEP_SUMMARY must name a writable file; unset it to skip the summary.");
}

}  // namespace ecrm::cli
