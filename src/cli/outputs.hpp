#pragma once
// Step outputs in the $GITHUB_OUTPUT file format (Actions runner: file commands):
// "name=value" lines, or "name<<DELIM" / value lines / "DELIM" when the value holds a newline.
#include <string>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::cli {

using OutputList = std::vector<std::pair<std::string, std::string>>;

// The text to append. The heredoc delimiter is "ghadelimiter_<random hex>", never found in the
// value (as actions/toolkit does).
std::string format_outputs(const OutputList& outputs);

// Appends to path (the runner creates the file; we never truncate it). "" → writes
// format_outputs() to stdout. Error (Usage) when the file cannot be opened for append.
Status write_outputs(const std::string& path, const OutputList& outputs);

// Appends Markdown to $GITHUB_STEP_SUMMARY when set; silently nothing otherwise.
Status append_step_summary(const std::string& path, const std::string& markdown);

}  // namespace ecrm::cli
