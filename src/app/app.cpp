#include "app/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/aws_glue.hpp"
#include "app/hosts.hpp"
#include "app/many.hpp"
#include "app/report.hpp"
#include "app/signals.hpp"
#include "auth/keychain.hpp"
#include "aws/retry.hpp"
#include "cli/options.hpp"
#include "mirror/mirror.hpp"
#include "registry/repository.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app {

int fail_run(const Error& error) {
  auto& log = util::Log::get();
  std::string text = error.message;
  std::string hint = error.hint;
  if (hint.empty() && error.kind == ErrorKind::Integrity)
    hint =
        "the registry served content that does not match its own description; nothing was "
        "tagged. Re-run; if it persists, the source image or registry is broken: report it to "
        "its operator";
  if (!hint.empty()) text += "\nfix: " + hint;
  log.error(text,
            error.kind == ErrorKind::Usage ? "ecr-mirror: invalid input" : "ecr-mirror failed");
  return exit_code_for(error);
}

namespace {

// Secrets that may arrive through the environment are masked before anything is printed, even a
// usage error.
void mask_environment_secrets(const cli::EnvLookup& env) {
  for (const char* name :
       {"INPUT_SOURCE-PASSWORD", "INPUT_DESTINATION-PASSWORD", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}) {
    if (auto value = env(name)) util::Log::get().add_secret(*value);
  }
}

}  // namespace

int run(int argc, const char* const* argv) {
  auto env = cli::process_env();
  auto& log = util::Log::get();
  log.set_actions(env("GITHUB_ACTIONS").value_or("") == "true");
  mask_environment_secrets(env);

  auto parsed = cli::parse_options(argc, argv, env);
  if (!parsed) return fail_run(parsed.error());
  if (parsed->action != cli::Action::Run) {
    std::cout << parsed->text;
    if (!parsed->text.empty() && parsed->text.back() != '\n') std::cout << '\n';
    return 0;
  }
  const cli::Options& options = parsed->options;
  log.add_secret(options.source_password);
  log.add_secret(options.destination_password);
  log.set_verbose(options.verbose);
  if (options.command == cli::Command::MergeReports) return run_merge(options, env);
  if (options.command == cli::Command::Check) return run_check(options);
  const std::atomic<bool>* cancel = install_cancel_handlers();
  if (options.command == cli::Command::Plan) return run_plan(options, env, cancel);
  if (!options.config_file.empty()) return run_many(options, env, cancel);
  Hosts hosts(options, nullptr, env, cancel);
  if (auto loaded = hosts.load_credentials(); !loaded) return fail_run(loaded.error());
  Deadline deadline(std::chrono::seconds(options.timeout_seconds));
  auto aws = hosts.aws(options.destination, options.source.str());
  if (!aws) return fail_run(aws.error());
  auto source_transport = hosts.source(options.source.repository.registry);
  auto destination_transport = hosts.destination(options.destination.registry);
  registry::Repository source(source_transport, options.source.repository.path, false);
  registry::Repository destination(destination_transport, options.destination.path, true);

  auto request = hosts.mirror_request(*aws, options.source.repository.registry,
                                      options.destination.registry, options.dry_run);
  request.source_reference = options.source.identifier();
  request.source_tag = options.source.tag;
  request.pinned_digest = options.source.digest;
  request.tag_templates = options.tag_templates;
  request.platforms = options.platforms;

  log.info("mirroring " + options.source.str() + " to " + options.destination.str() +
           (options.dry_run ? " (dry run)" : ""));
  auto result = mirror::run_mirror(source, destination, request, aws->before_write);
  if (!result) {
    if (deadline.expired()) {
      return fail_run(make_error(ErrorKind::Network,
                                 "the run passed its deadline of " +
                                     std::to_string(options.timeout_seconds) +
                                     " s and was stopped; no tag was moved",
                                 "raise --timeout, or look above for the request that was slow"));
    }
    if (result.error().kind == ErrorKind::Cancelled || cancel->load()) {
      log.error("cancelled by signal " + std::to_string(cancel_signal()) +
                    "; no tag was moved. Blobs already uploaded are reused by the next run.",
                "ecr-mirror cancelled");
      return 1;
    }
    return fail_run(result.error());
  }
  const RunCounts counts{source_transport->request_count(), destination_transport->request_count(),
                         aws::api_calls_sent()};
  if (auto reported = report(options, *result, counts, env); !reported)
    return fail_run(reported.error());
  return 0;
}

}  // namespace ecrm::app
