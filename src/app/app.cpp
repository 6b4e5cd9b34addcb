#include "app/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/aws_glue.hpp"
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
namespace {

int fail(const Error& error) {
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

// Secrets that may arrive through the environment are masked before anything is printed, even a
// usage error.
void mask_environment_secrets(const cli::EnvLookup& env) {
  for (const char* name :
       {"INPUT_SOURCE-PASSWORD", "INPUT_DESTINATION-PASSWORD", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}) {
    if (auto value = env(name)) util::Log::get().add_secret(*value);
  }
}

bool is_insecure(const cli::Options& options, const std::string& host) {
  for (const auto& entry : options.insecure_registries)
    if (entry == host) return true;
  return false;
}

http::ClientConfig http_config(const cli::Options& options, const cli::EnvLookup& env,
                               const std::atomic<bool>* cancel) {
  http::ClientConfig config;
  config.connect_timeout = std::chrono::seconds(options.connect_timeout_seconds);
  config.stall_timeout = std::chrono::seconds(options.stall_timeout_seconds);
  // The OpenSSL convention, honoured explicitly because libcurl's built-in bundle path wins
  // otherwise (a corporate or test CA).
  if (auto ca = env("SSL_CERT_FILE")) config.ca_file = *ca;
  config.user_agent = std::string("ecr-mirror/") + ECRM_VERSION;
  config.cancel = cancel;
  return config;
}

registry::CredentialSource credentials_for(std::shared_ptr<auth::Keychain> keychain,
                                           std::string host) {
  return [keychain, host](bool refresh) { return keychain->resolve(host, refresh); };
}

}  // namespace

int run(int argc, const char* const* argv) {
  auto env = cli::process_env();
  auto& log = util::Log::get();
  log.set_actions(env("GITHUB_ACTIONS").value_or("") == "true");
  mask_environment_secrets(env);

  auto parsed = cli::parse_options(argc, argv, env);
  if (!parsed) return fail(parsed.error());
  if (parsed->action != cli::Action::Run) {
    std::cout << parsed->text;
    if (!parsed->text.empty() && parsed->text.back() != '\n') std::cout << '\n';
    return 0;
  }
  const cli::Options& options = parsed->options;
  log.add_secret(options.source_password);
  log.add_secret(options.destination_password);
  log.set_verbose(options.verbose);
  const std::atomic<bool>* cancel = install_cancel_handlers();
  const auto http = http_config(options, env, cancel);
  Deadline deadline(std::chrono::seconds(options.timeout_seconds));

  auto source_keychain = std::make_shared<auth::Keychain>();
  auto destination_keychain = std::make_shared<auth::Keychain>();
  if (!options.docker_config.empty()) {
    for (auto* keychain : {source_keychain.get(), destination_keychain.get()}) {
      if (auto loaded =
              keychain->load_docker_config(options.docker_config, options.docker_config_explicit);
          !loaded)
        return fail(loaded.error());
    }
  }
  const auto& source_host = options.source.repository.registry;
  const auto& destination_host = options.destination.registry;
  if (!options.source_username.empty() || !options.source_password.empty())
    source_keychain->add_explicit(source_host,
                                  {options.source_username, options.source_password, {}});
  if (!options.destination_username.empty() || !options.destination_password.empty())
    destination_keychain->add_explicit(
        destination_host, {options.destination_username, options.destination_password, {}});

  registry::RetryPolicy retry;
  retry.budget = std::chrono::seconds(options.retry_seconds);
  auto aws = setup_aws(options, env, http, *destination_keychain);
  if (!aws) return fail(aws.error());

  auto source_transport = std::make_shared<registry::Transport>(
      source_host, is_insecure(options, source_host), credentials_for(source_keychain, source_host),
      registry::TransportConfig{retry, cancel, "source"});
  auto destination_transport = std::make_shared<registry::Transport>(
      destination_host, is_insecure(options, destination_host),
      credentials_for(destination_keychain, destination_host),
      registry::TransportConfig{retry, cancel, "destination"});
  if (aws->basic_auth) destination_transport->assume_basic_auth();
  registry::Repository source(source_transport, options.source.repository.path, false);
  registry::Repository destination(destination_transport, options.destination.path, true);

  mirror::MirrorRequest request;
  request.source_reference = options.source.identifier();
  request.source_tag = options.source.tag;
  request.pinned_digest = options.source.digest;
  request.tag_templates = options.tag_templates;
  request.platforms = options.platforms;
  request.dry_run = options.dry_run;
  request.force = options.force;
  request.copy.concurrency = options.concurrency;
  request.copy.dry_run = options.dry_run;
  request.copy.same_registry = source_host == destination_host;
  request.copy.http = http;
  request.copy.retry = retry;
  request.copy.cancel = cancel;
  request.copy.presence = aws->presence;
  request.limits = aws->limits;
  request.referrers = options.referrers;

  log.info("mirroring " + options.source.str() + " to " + options.destination.str() +
           (options.dry_run ? " (dry run)" : ""));
  auto result = mirror::run_mirror(source, destination, request, aws->before_write);
  if (!result) {
    if (deadline.expired()) {
      return fail(make_error(ErrorKind::Network,
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
    return fail(result.error());
  }
  const RunCounts counts{source_transport->request_count(), destination_transport->request_count(),
                         aws::api_calls_sent()};
  if (auto reported = report(options, *result, counts, env); !reported)
    return fail(reported.error());
  return 0;
}

}  // namespace ecrm::app
