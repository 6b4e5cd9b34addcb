#pragma once
// What the run tells its caller: the closing log lines, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY.
#include <cstdint>

#include "cli/options.hpp"
#include "mirror/mirror.hpp"
#include "util/expected.hpp"

namespace ecrm::app {

Status report(const cli::Options& options, const mirror::MirrorResult& result,
              std::uint64_t requests, const cli::EnvLookup& env);

}  // namespace ecrm::app
