#pragma once
// The AWS side of a run, as the app calls it: registry credentials for an ECR destination, the
// destination repository made sure of before the first write, and the batched blob presence check.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/keychain.hpp"
#include "aws/endpoints.hpp"
#include "aws/spec.hpp"
#include "http/client.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "util/env.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

struct AwsSetup {
  std::string destination_type;                        // "ecr-public" | "ecr" | "registry"
  std::shared_ptr<auth::CredentialProvider> provider;  // null for "registry"
  std::string repository;                              // the ECR repository name
};

// For an ECR destination (spec.destination_type, or detected from the host): resolves the AWS
// credentials and fetches a first registry token, so that a missing permission fails the run
// before anything is copied. For a plain registry nothing AWS happens and the provider is null.
// Settings the destination cannot have (tag mutability on ECR Public) are Usage errors here.
Expected<AwsSetup> setup_destination_auth(const AwsSpec& spec, const name::Repository& destination,
                                          const util::EnvLookup& env,
                                          const http::ClientConfig& http);

// What the run is about to write, as far as AWS cares.
struct PlannedWrite {
  std::vector<oci::Platform> platforms;   // ECR Public catalog data
  std::vector<std::string> tags_to_move;  // existing tags that would point at a new digest
};

// Before the first write: DescribeRepositories. A missing repository is created with
// spec.repository.create (its settings, then its lifecycle policy) and is a NotFound error naming
// --create-repository without it. A repository that keeps one of plan.tags_to_move immutable
// stops the run here, saying how to fix it. Without --create-repository a policy that does not
// allow DescribeRepositories is not an error: the push will tell.
Status prepare_repository(const AwsSetup& setup, const AwsSpec& spec, const PlannedWrite& plan,
                          const http::ClientConfig& http);

class EcrCredentialProvider;
struct CallContext;
// prepare_repository's work once the provider is known, with the calls going through `context`
// (unit tests answer them).
Status prepare_ecr_repository(EcrCredentialProvider& provider, const std::string& repository,
                              const AwsSpec& spec, const PlannedWrite& plan, CallContext& context);

// BatchCheckLayerAvailability for the destination repository, one entry per digest (nullopt:
// unknown). Auth error when not allowed. Empty function for a plain registry.
using LayerPresence = std::function<Expected<std::vector<std::optional<bool>>>(
    const std::vector<std::string>& digests)>;
LayerPresence layer_presence(const AwsSetup& setup, const http::ClientConfig& http);

// The ECR repository name of a destination: for ECR Public the path less its first component
// (public.ecr.aws/<alias>/<name>), for ECR the whole path. Usage error for an ECR Public path
// without a repository after the alias.
Expected<std::string> ecr_repository_name(DestinationType type,
                                          const name::Repository& destination);

}  // namespace ecrm::aws
