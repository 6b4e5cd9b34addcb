#include "app/aws_glue.hpp"

#include "aws/session.hpp"

namespace ecrm::app {

aws::AwsSpec aws_spec(const cli::Options& options) {
  aws::AwsSpec spec;
  spec.destination_type = options.destination_type;
  spec.region = options.aws_region;
  spec.role_to_assume = options.role_to_assume;
  spec.role_session_name = options.role_session_name;
  spec.role_duration_seconds = options.role_duration_seconds;
  spec.audience = options.audience;
  spec.dry_run = options.dry_run;
  spec.source_ref = options.source.str();
  spec.repository = options.repository;
  spec.repository.create = options.create_repository;
  return spec;
}

namespace {

// What ECR and ECR Public refuse at push time, so that a run stops before its first write:
// - 0-byte blobs: CompleteLayerUpload fails with EmptyUploadException ("cannot be completed
//   because it does not have any parts", devcontainers/cli#814, radius-project/radius#7887);
// - layer sizes: "Maximum layer size" quotas, 52,000 MiB for ECR and 10,000 MiB for ECR Public
//   (ECR and ECR Public User Guides, "service quotas");
// - layers per image: a manifest PUT with too many answers 405 UNSUPPORTED "Limit on number of
//   layers per image exceeded" (openai/tart#890). The limit is undocumented; 500 was measured
//   by spinframework/spin#1787 and nuonco/nuon#2348.
mirror::DestinationLimits ecr_limits(const std::string& type) {
  mirror::DestinationLimits limits;
  constexpr std::uint64_t kMiB = 1024 * 1024;
  limits.registry_name = type == "ecr-public" ? "ECR Public" : "ECR";
  limits.refuses_empty_blobs = true;
  limits.max_layers = 500;
  limits.max_blob_bytes = (type == "ecr-public" ? 10000 : 52000) * kMiB;
  return limits;
}

}  // namespace

Expected<AwsHooks> AwsDestinations::hooks(const name::Repository& destination,
                                          const std::string& source_ref, auth::Keychain& keychain,
                                          std::optional<bool> create) {
  std::shared_ptr<const aws::AwsSetup> setup;
  {
    // Held across the first setup of a host: two jobs on one registry sign in once.
    std::lock_guard lock(mutex_);
    auto& known = setups_[destination.registry];
    if (!known) {
      auto made = aws::setup_destination_auth(spec_, destination, env_, http_);
      if (!made) {
        setups_.erase(destination.registry);
        return made.error();
      }
      if (made->provider) keychain.add_provider(destination.registry, made->provider);
      known = std::make_shared<const aws::AwsSetup>(*made);
    }
    setup = known;
  }
  AwsHooks hooks;
  if (!setup->provider) return hooks;
  auto mine = std::make_shared<aws::AwsSetup>(*setup);
  const auto type = setup->destination_type == "ecr-public" ? aws::DestinationType::EcrPublic
                                                            : aws::DestinationType::Ecr;
  auto repository = aws::ecr_repository_name(type, destination);
  if (!repository) return repository.error();
  mine->repository = *repository;
  hooks.limits = ecr_limits(setup->destination_type);
  hooks.basic_auth = setup->destination_type == "ecr";
  auto spec = spec_;
  spec.source_ref = source_ref;
  if (create) spec.repository.create = *create;
  hooks.before_write = [mine, spec, http = http_](const mirror::WritePlan& plan) {
    return aws::prepare_repository(*mine, spec, {plan.platforms, plan.tags_to_move}, http);
  };
  auto layers = aws::layer_presence(*mine, http_);
  hooks.presence =
      [layers](
          const std::vector<std::string>& digests) -> Expected<std::vector<registry::BlobState>> {
    auto answer = layers(digests);
    if (!answer) return answer.error();
    std::vector<registry::BlobState> states;
    states.reserve(answer->size());
    for (const auto& available : *answer)
      states.push_back(!available   ? registry::BlobState::Unknown
                       : *available ? registry::BlobState::Present
                                    : registry::BlobState::Absent);
    return states;
  };
  return hooks;
}

}  // namespace ecrm::app
