#pragma once
// The repository calls of ECR and ECR Public: DescribeRepositories (does it exist, and which tags
// does it keep immutable), CreateRepository with the settings of an aws::RepositorySpec, and
// PutLifecyclePolicy (private ECR).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ecr.hpp"
#include "aws/spec.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"
#include "util/json.hpp"

namespace ecrm::aws {

struct CatalogData {
  std::string description;
  std::vector<std::string> architectures;      // ECR Public names: "x86-64", "ARM 64", "ARM", "x86"
  std::vector<std::string> operating_systems;  // "Linux", "Windows"
  std::string about_text;
  std::string usage_text;
};
// What an ECR Public repository's catalog says about a mirror of `source_ref` holding `platforms`
// (OCI names, e.g. linux/amd64); platforms ECR Public has no name for are left out. The spec's
// description, about and usage texts replace the defaults.
CatalogData catalog_data_for(const std::vector<oci::Platform>& platforms,
                             std::string_view source_ref, const RepositorySpec& spec = {});

// A repository's tag mutability as DescribeRepositories reports it (ECR API reference,
// Repository.imageTagMutability and imageTagMutabilityExclusionFilters). ECR Public repositories
// have no such setting: their tags are always mutable.
struct RepositoryInfo {
  std::string tag_mutability = "MUTABLE";
  std::vector<std::string> exclusion_filters;  // WILDCARD filters
};

// ECR's WILDCARD filter: '*' matches any run of characters, everything else itself.
bool wildcard_match(std::string_view pattern, std::string_view text);
// The tags among `tags` that already exist and that the repository refuses to overwrite:
// IMMUTABLE keeps all, IMMUTABLE_WITH_EXCLUSION all but those an exclusion filter matches,
// MUTABLE_WITH_EXCLUSION only those a filter matches.
std::vector<std::string> immutable_among(const RepositoryInfo& info,
                                         const std::vector<std::string>& tags);

// The repository named `name` in a DescribeRepositories reply, nullopt when it is not there.
std::optional<RepositoryInfo> repository_info_from_reply(const util::Json& reply,
                                                         std::string_view name, bool is_public);

std::string describe_repositories_body(const EcrApiSettings& settings, std::string_view name);
std::string create_repository_body(const EcrApiSettings& settings, std::string_view name,
                                   const RepositorySpec& spec, const CatalogData& catalog);
std::string put_lifecycle_policy_body(const EcrApiSettings& settings, std::string_view name,
                                      const std::string& policy);

// nullopt when the repository does not exist (RepositoryNotFoundException).
Expected<std::optional<RepositoryInfo>> describe_repository(const EcrApiSettings& settings,
                                                            const AwsCredentials& credentials,
                                                            std::string_view name,
                                                            CallContext& context);
// A repository created meanwhile by someone else (RepositoryAlreadyExistsException) is success;
// false then, true when this call created it.
Expected<bool> create_repository(const EcrApiSettings& settings, const AwsCredentials& credentials,
                                 std::string_view name, const RepositorySpec& spec,
                                 const CatalogData& catalog, CallContext& context);
Status put_lifecycle_policy(const EcrApiSettings& settings, const AwsCredentials& credentials,
                            std::string_view name, const std::string& policy, CallContext& context);

}  // namespace ecrm::aws
