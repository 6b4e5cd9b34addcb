#include "aws/session.hpp"

#include "aws/credentials.hpp"
#include "aws/ecr.hpp"
#include "aws/ecr_layers.hpp"
#include "aws/ecr_repository.hpp"
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

CredentialSettings credential_settings(const AwsSpec& spec, std::string sts_endpoint) {
  CredentialSettings settings;
  settings.role_to_assume = spec.role_to_assume;
  settings.role_session_name = spec.role_session_name;
  settings.duration_seconds = spec.role_duration_seconds;
  settings.audience = spec.audience;
  settings.sts_endpoint = std::move(sts_endpoint);
  return settings;
}

// ECR Public has no tag mutability, encryption or scanning settings (ECR Public API reference,
// CreateRepository): asking for them is a mistake to report, not to ignore.
Status check_spec_fits(DestinationType type, const RepositorySpec& spec) {
  if (type != DestinationType::EcrPublic) return {};
  const char* setting = spec.tag_mutability != "MUTABLE"      ? "image-tag-mutability"
                        : !spec.mutability_exclusions.empty() ? "immutable-tag-exclusions"
                        : spec.encryption != "AES256"         ? "encryption"
                        : !spec.kms_key.empty()               ? "kms-key"
                        : !spec.lifecycle_policy.empty()      ? "lifecycle-policy"
                                                              : nullptr;
  if (setting == nullptr) return {};
  return make_error(ErrorKind::Usage,
                    std::string("--") + setting +
                        " applies to private ECR repositories; ECR Public repositories have no "
                        "such setting (their tags are always mutable)",
                    std::string("remove --") + setting + " for this destination");
}

Error immutable_tags_error(const std::string& repository, const RepositoryInfo& info,
                           const std::vector<std::string>& blocked) {
  std::string setting = info.tag_mutability;
  if (!info.exclusion_filters.empty())
    setting += " with exclusion filters " + util::join(info.exclusion_filters, ", ");
  Error error = make_error(
      ErrorKind::Registry,
      "the destination repository " + repository + " keeps tags immutable (imageTagMutability " +
          setting + "), and " + util::join(blocked, ", ") +
          (blocked.size() == 1 ? " already points" : " already point") +
          " at another image: ECR would refuse to move " + (blocked.size() == 1 ? "it" : "them") +
          " (TAG_INVALID). Nothing was written",
      "let the rolling tag move with an exclusion filter: aws ecr put-image-tag-mutability "
      "--repository-name " +
          repository +
          " --image-tag-mutability IMMUTABLE_WITH_EXCLUSION "
          "--image-tag-mutability-exclusion-filters filterType=WILDCARD,filter=" +
          blocked.front() + "; or mirror without a rolling tag (--tags '{tag}-{digest12}')");
  error.code = "TAG_INVALID";
  return error;
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

Expected<AwsSetup> setup_destination_auth(const AwsSpec& spec, const name::Repository& destination,
                                          const util::EnvLookup& env,
                                          const http::ClientConfig& http) {
  auto detected = detect_destination(spec.destination_type, destination, spec.region);
  if (!detected) return detected.error();
  AwsSetup setup;
  setup.destination_type = to_string(detected->type);
  if (detected->type == DestinationType::Registry) return setup;

  // Checked here so that a bad destination fails before any credential is fetched.
  auto repository = ecr_repository_name(detected->type, destination);
  if (!repository) return repository.error();
  setup.repository = *repository;
  if (auto fits = check_spec_fits(detected->type, spec.repository); !fits) return fits.error();
  auto endpoints = resolve_endpoints(env, spec.region, *detected);
  if (!endpoints) return endpoints.error();

  // Each holder of a CallContext gets its own client: http::Client is one-thread-only, and the
  // cache and the provider each use theirs under their own lock.
  auto cache = std::make_shared<CredentialCache>(
      credential_settings(spec, endpoints->sts), env,
      make_call_context(std::make_shared<http::Client>(http), http));
  auto credentials = cache->get();
  if (!credentials) return credentials.error();
  util::Log::get().info("AWS credentials: " + credentials->source);

  EcrApiSettings settings;
  settings.type = detected->type;
  settings.region = detected->region;
  if (detected->type == DestinationType::EcrPublic) {
    settings.endpoint = endpoints->ecr_public;
  } else {
    settings.endpoint = endpoints->ecr;
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

Status prepare_ecr_repository(EcrCredentialProvider& provider, const std::string& repository,
                              const AwsSpec& spec, const PlannedWrite& plan, CallContext& context) {
  const EcrApiSettings& settings = provider.settings();
  const RepositorySpec& wanted = spec.repository;
  auto credentials = provider.aws_credentials();
  if (!credentials) return credentials.error();

  auto info = describe_repository(settings, *credentials, repository, context);
  if (!info) {
    // The least-privilege policy without --create-repository does not allow
    // DescribeRepositories; then the push itself reports a missing repository, and an immutable
    // tag answers TAG_INVALID with the same advice.
    if (!wanted.create && info.error().kind == ErrorKind::Auth) {
      util::Log::get().debug("Not checking " + repository + ": " + info.error().message);
      return {};
    }
    return info.error();
  }
  if (*info) {
    auto blocked = immutable_among(**info, plan.tags_to_move);
    if (!blocked.empty()) return immutable_tags_error(repository, **info, blocked);
    return {};
  }

  if (!wanted.create) {
    Error error = make_error(ErrorKind::NotFound,
                             "the destination repository " + repository + " does not exist in " +
                                 describe_registry(settings),
                             "create it, or pass --create-repository (input create-repository: "
                             "true) to have it created; that needs " +
                                 create_actions(settings.type));
    error.code = "RepositoryNotFoundException";
    return error;
  }
  if (spec.dry_run) {
    util::Log::get().info("Dry run: would create repository " + repository + " in " +
                          describe_registry(settings));
    return {};
  }
  auto created =
      create_repository(settings, *credentials, repository, wanted,
                        catalog_data_for(plan.platforms, spec.source_ref, wanted), context);
  if (!created) return created.error();
  if (!*created) {
    util::Log::get().info("Repository " + repository +
                          " was created meanwhile by someone else; "
                          "its settings are left as they are");
    return {};
  }
  util::Log::get().info("Created repository " + repository + " in " + describe_registry(settings));
  if (!wanted.lifecycle_policy.empty()) {
    if (auto put = put_lifecycle_policy(settings, *credentials, repository, wanted.lifecycle_policy,
                                        context);
        !put)
      return put.error();
    util::Log::get().info("Lifecycle policy set on " + repository);
  }
  return {};
}

Status prepare_repository(const AwsSetup& setup, const AwsSpec& spec, const PlannedWrite& plan,
                          const http::ClientConfig& http) {
  if (!setup.provider) return {};
  auto* provider = dynamic_cast<EcrCredentialProvider*>(setup.provider.get());
  if (provider == nullptr) {
    return make_error(ErrorKind::Internal,
                      "prepare_repository needs the provider made by setup_destination_auth");
  }
  auto context = make_call_context(std::make_shared<http::Client>(http), http);
  return prepare_ecr_repository(*provider, setup.repository, spec, plan, context);
}

LayerPresence layer_presence(const AwsSetup& setup, const http::ClientConfig& http) {
  auto provider = std::dynamic_pointer_cast<EcrCredentialProvider>(setup.provider);
  if (!provider) return {};
  return
      [provider, repository = setup.repository, http](
          const std::vector<std::string>& digests) -> Expected<std::vector<std::optional<bool>>> {
        auto credentials = provider->aws_credentials();
        if (!credentials) return credentials.error();
        auto context = make_call_context(std::make_shared<http::Client>(http), http);
        return batch_check_layer_availability(provider->settings(), *credentials, repository,
                                              digests, context);
      };
}

}  // namespace ecrm::aws
