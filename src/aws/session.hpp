#pragma once
// The AWS side of a run, as the app calls it: registry credentials for an ECR destination, and
// the destination repository made sure of before the first write.
#include <memory>
#include <string>
#include <vector>

#include "auth/keychain.hpp"
#include "aws/endpoints.hpp"
#include "cli/options.hpp"
#include "http/client.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

struct AwsSetup {
  std::string destination_type;                        // "ecr-public" | "ecr" | "registry"
  std::shared_ptr<auth::CredentialProvider> provider;  // null for "registry"
};

// For an ECR destination (--destination-type, or detected from the host): resolves the AWS
// credentials and fetches a first registry token, so that a missing permission fails the run
// before anything is copied. For a plain registry nothing AWS happens and the provider is null.
Expected<AwsSetup> setup_destination_auth(const cli::Options& options,
                                          const name::Repository& destination,
                                          const cli::EnvLookup& env,
                                          const http::ClientConfig& http);

// DescribeRepositories; a missing repository is created with --create-repository (catalog data
// from the source's platforms for ECR Public; scan on push, AES256 and mutable tags for ECR), and
// is a NotFound error naming --create-repository without it. Without --create-repository a
// policy that does not allow DescribeRepositories is not an error: the push will tell.
Status ensure_repository(const AwsSetup& setup, const cli::Options& options,
                         const name::Repository& destination,
                         const std::vector<oci::Platform>& source_platforms,
                         const std::string& source_ref, const cli::EnvLookup& env,
                         const http::ClientConfig& http);

class EcrCredentialProvider;
struct CallContext;
// ensure_repository's work once the provider is known, with the calls going through `context`
// (unit tests answer them).
Status ensure_ecr_repository(EcrCredentialProvider& provider, const cli::Options& options,
                             const name::Repository& destination,
                             const std::vector<oci::Platform>& source_platforms,
                             const std::string& source_ref, CallContext& context);

// The ECR repository name of a destination: for ECR Public the path less its first component
// (public.ecr.aws/<alias>/<name>), for ECR the whole path. Usage error for an ECR Public path
// without a repository after the alias.
Expected<std::string> ecr_repository_name(DestinationType type,
                                          const name::Repository& destination);

}  // namespace ecrm::aws
