#pragma once
// What the run tells its caller: the closing log lines, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY.
#include <cstdint>
#include <string>

#include "cli/options.hpp"
#include "mirror/mirror.hpp"
#include "util/expected.hpp"

namespace ecrm::app {

struct RunCounts {
  std::uint64_t source_requests = 0;
  std::uint64_t destination_requests = 0;
  std::uint64_t api_calls = 0;  // OIDC, STS and ECR API requests
};

// A Markdown table cell's text: registry messages may hold the separator or a newline.
std::string table_cell(const std::string& text);

Status report(const cli::Options& options, const mirror::MirrorResult& result,
              const RunCounts& counts, const cli::EnvLookup& env);

}  // namespace ecrm::app
