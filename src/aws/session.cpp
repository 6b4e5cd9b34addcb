#include "aws/session.hpp"

#include "aws/credentials.hpp"
#include "aws/ecr.hpp"
#include "aws/provider.hpp"
#include "aws/retry.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

std::string describe_registry(const EcrApiSettings& settings) {
  if (settings.type == DestinationType::EcrPublic) return "ECR Public";
  return settings.registry_id.empty() ? "the ECR registry" : "ECR registry " + settings.registry_id;
}

std::string create_actions(DestinationType type) {
  return ecr_signing_name(type) + ":DescribeRepositories and " + ecr_signing_name(type) +
         ":CreateRepository";
}

}  // namespace

Expected<std::string> ecr_repository_name(DestinationType type,
                                          const name::Repository& destination) {
  if (type != DestinationType::EcrPublic) return destination.path;
  const auto slash = destination.path.find('/');
  if (slash == std::string::npos || slash + 1 == destination.path.size()) {
    return make_error(ErrorKind::Usage,
                      "the ECR Public destination " + destination.str() +
                          " names no repository after the registry alias",
                      "write it as public.ecr.aws/<registry alias>/<repository>");
  }
  return destination.path.substr(slash + 1);
}

Expected<AwsSetup> setup_destination_auth(const cli::Options& options,
                                          const name::Repository& destination,
                                          const cli::EnvLookup& env,
                                          const http::ClientConfig& http) {
  auto detected = detect_destination(options.destination_type, destination, options.aws_region);
  if (!detected) return detected.error();
  AwsSetup setup;
  setup.destination_type = to_string(detected->type);
  if (detected->type == DestinationType::Registry) return setup;

  // Checked here so that a bad destination fails before any credential is fetched.
  auto repository = ecr_repository_name(detected->type, destination);
  if (!repository) return repository.error();
  auto endpoints = resolve_endpoints(env, options.aws_region, *detected);
  if (!endpoints) return endpoints.error();

  // Each holder of a CallContext gets its own client: http::Client is one-thread-only, and the
  // cache and the provider each use theirs under their own lock.
  auto cache = std::make_shared<CredentialCache>(
      credential_settings(options, endpoints->sts), env,
      make_call_context(std::make_shared<http::Client>(http), http));
  auto credentials = cache->get();
  if (!credentials) return credentials.error();
  util::Log::get().info("AWS credentials: " + credentials->source);

  EcrApiSettings settings;
  settings.type = detected->type;
  if (detected->type == DestinationType::EcrPublic) {
    settings.endpoint = endpoints->ecr_public;
    settings.region = detected->region;
  } else {
    settings.endpoint = endpoints->ecr;
    settings.region = detected->region;
    settings.registry_id = detected->account_id;
  }
  auto provider = std::make_shared<EcrCredentialProvider>(
      settings, cache, make_call_context(std::make_shared<http::Client>(http), http));
  // The first token now: a missing ecr:GetAuthorizationToken permission fails before any copy.
  auto first = provider->credential(false);
  if (!first) return first.error();
  setup.provider = provider;
  return setup;
}

Status ensure_ecr_repository(EcrCredentialProvider& provider, const cli::Options& options,
                             const name::Repository& destination,
                             const std::vector<oci::Platform>& source_platforms,
                             const std::string& source_ref, CallContext& context) {
  const EcrApiSettings& settings = provider.settings();
  auto name = ecr_repository_name(settings.type, destination);
  if (!name) return name.error();
  auto credentials = provider.aws_credentials();
  if (!credentials) return credentials.error();

  auto exists = repository_exists(settings, *credentials, *name, context);
  if (!exists) {
    // The least-privilege policy without --create-repository does not allow
    // DescribeRepositories; then the push itself reports a missing repository.
    if (!options.create_repository && exists.error().kind == ErrorKind::Auth) {
      util::Log::get().debug("Not checking that " + *name + " exists: " + exists.error().message);
      return {};
    }
    return exists.error();
  }
  if (*exists) return {};

  if (!options.create_repository) {
    Error error = make_error(
        ErrorKind::NotFound,
        "the destination repository " + *name + " does not exist in " + describe_registry(settings),
        "create it, or pass --create-repository (input create-repository: "
        "true) to have it created; that needs " +
            create_actions(settings.type));
    error.code = "RepositoryNotFoundException";
    return error;
  }
  if (options.dry_run) {
    util::Log::get().info("Dry run: would create repository " + *name + " in " +
                          describe_registry(settings));
    return {};
  }
  auto created = create_repository(settings, *credentials, *name,
                                   catalog_data_for(source_platforms, source_ref), context);
  if (!created) return created.error();
  util::Log::get().info("Created repository " + *name + " in " + describe_registry(settings));
  return {};
}

Status ensure_repository(const AwsSetup& setup, const cli::Options& options,
                         const name::Repository& destination,
                         const std::vector<oci::Platform>& source_platforms,
                         const std::string& source_ref, const cli::EnvLookup& /*env*/,
                         const http::ClientConfig& http) {
  if (!setup.provider) return {};
  auto* provider = dynamic_cast<EcrCredentialProvider*>(setup.provider.get());
  if (provider == nullptr) {
    return make_error(ErrorKind::Internal,
                      "ensure_repository needs the provider made by setup_destination_auth");
  }
  auto context = make_call_context(std::make_shared<http::Client>(http), http);
  return ensure_ecr_repository(*provider, options, destination, source_platforms, source_ref,
                               context);
}

}  // namespace ecrm::aws
