#pragma once
// Command-line and INPUT_* options. Boost.Program_options is used only by options.cpp.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/spec.hpp"
#include "mirror/referrers.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "util/env.hpp"
#include "util/expected.hpp"

namespace ecrm::cli {

using EnvLookup = util::EnvLookup;
EnvLookup process_env();

enum class Command { Mirror, Plan, MergeReports, Check };

struct Options {
  // Many images (issue 10): --config and what goes with it.
  Command command = Command::Mirror;
  std::string config_file;
  std::string report_file;
  std::string lock_file;
  bool locked = false;
  std::string plan_file = "ecr-mirror-plan.json";
  std::string shard;  // "K/N", checked; "" for a whole run
  int shards = 4;
  int parallel_images = 4;
  std::vector<std::string> reports;
  // Mirror
  name::Reference source;                  // --source
  name::Repository destination;            // --destination
  std::vector<std::string> tag_templates;  // --tags (default {tag}, {tag}-{digest12})
  std::vector<oci::Platform> platforms;    // --platforms; empty means all
  bool dry_run = false;
  bool force = false;
  mirror::ReferrerPolicy referrers;  // --referrers, --referrer-types
  // 1..64. 16: over a 30 ms path, 8 streams left image B (100 × 3 MiB) at 0.60× skopeo's time
  // and 16 at 0.37×, for 2.2 MiB more peak RSS (bench/README.md, wide-area mode).
  int concurrency = 16;
  std::vector<std::string> insecure_registries;  // host[:port]
  // Registry credentials
  std::string source_username, source_password;
  std::string destination_username, destination_password;
  std::string docker_config;            // path; "" = none found
  bool docker_config_explicit = false;  // named by the user: must exist
  // Outputs
  std::string output_file;  // "" → print name=value lines on stdout
  // Network
  int connect_timeout_seconds = 30;  // --connect-timeout
  int stall_timeout_seconds = 60;    // --stall-timeout: abort a transfer idle this long
  int timeout_seconds = 3600;        // --timeout: overall deadline for the run
  int retry_seconds = 120;           // --retry-time: give up retrying a request after this
  bool verbose = false;
  // AWS (issue 3)
  std::string role_to_assume;
  std::string aws_region = "us-east-1";
  std::string role_session_name = "GitHubActions";
  int role_duration_seconds = 3600;
  std::string audience = "sts.amazonaws.com";
  std::string destination_type = "auto";  // auto|ecr-public|ecr|registry
  bool create_repository = false;
  // Applied when --create-repository creates the repository (repository_inputs.cpp).
  aws::RepositorySpec repository;
};

enum class Action { Run, Help, Version };

struct Parsed {
  Action action = Action::Run;
  Options options;
  std::string text;  // help or version text when action != Run
};

// Flags win over INPUT_<NAME> (name upper-cased, hyphens kept: INPUT_DRY-RUN). Booleans accept
// true/false/yes/no/1/0 in the environment; as flags they take no value. Every validation error is
// ErrorKind::Usage, names the option and the offending value, and says the fix.
Expected<Parsed> parse_options(int argc, const char* const* argv, const EnvLookup& env);

// The long option names, for the test that compares action.yml, the README and the program.
std::vector<std::string> option_names();

}  // namespace ecrm::cli
