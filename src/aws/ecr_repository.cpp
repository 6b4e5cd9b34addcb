#include "aws/ecr_repository.hpp"

#include <algorithm>

#include "util/json.hpp"

namespace ecrm::aws {
namespace {

// ECR Public's catalog description is at most 1024 characters (CatalogData, ECR Public API).
constexpr std::size_t kMaxDescription = 1024;

bool is_public(const EcrApiSettings& settings) {
  return settings.type == DestinationType::EcrPublic;
}

util::Json string_array(const std::vector<std::string>& items) {
  util::Json array = util::Json::array();
  for (const auto& item : items) array.push(item);
  return array;
}

util::Json resource_tags(const RepositorySpec& spec) {
  util::Json tags = util::Json::array();
  for (const auto& [key, value] : spec.resource_tags)
    tags.push(util::Json::object().set("Key", key).set("Value", value));
  return tags;
}

}  // namespace

CatalogData catalog_data_for(const std::vector<oci::Platform>& platforms,
                             std::string_view source_ref, const RepositorySpec& spec) {
  CatalogData catalog;
  catalog.description =
      spec.description.empty() ? "Mirror of " + std::string(source_ref) : spec.description;
  if (catalog.description.size() > kMaxDescription) catalog.description.resize(kMaxDescription);
  catalog.about_text = spec.about;
  catalog.usage_text = spec.usage;
  auto add = [](std::vector<std::string>& list, std::string value) {
    if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
      list.push_back(std::move(value));
  };
  for (const auto& platform : platforms) {
    // ECR Public's fixed vocabulary (ECR Public User Guide, "Repository catalog data").
    const std::string& arch = platform.architecture;
    add(catalog.architectures, arch == "amd64"   ? "x86-64"
                               : arch == "arm64" ? "ARM 64"
                               : arch == "arm"   ? "ARM"
                               : arch == "386"   ? "x86"
                                                 : "");
    add(catalog.operating_systems, platform.os == "linux"     ? "Linux"
                                   : platform.os == "windows" ? "Windows"
                                                              : "");
  }
  return catalog;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Iterative glob with one backtrack point: linear in practice, never exponential.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> immutable_among(const RepositoryInfo& info,
                                         const std::vector<std::string>& tags) {
  auto excluded = [&](const std::string& tag) {
    return std::any_of(info.exclusion_filters.begin(), info.exclusion_filters.end(),
                       [&](const std::string& filter) { return wildcard_match(filter, tag); });
  };
  std::vector<std::string> kept;
  for (const auto& tag : tags) {
    const bool immutable = info.tag_mutability == "IMMUTABLE" ||
                           (info.tag_mutability == "IMMUTABLE_WITH_EXCLUSION" && !excluded(tag)) ||
                           (info.tag_mutability == "MUTABLE_WITH_EXCLUSION" && excluded(tag));
    if (immutable) kept.push_back(tag);
  }
  return kept;
}

std::string describe_repositories_body(const EcrApiSettings& settings, std::string_view name) {
  util::Json body = util::Json::object();
  if (!is_public(settings) && !settings.registry_id.empty())
    body.set("registryId", settings.registry_id);
  body.set("repositoryNames", util::Json::array().push(std::string(name)));
  return body.dump();
}

std::string create_repository_body(const EcrApiSettings& settings, std::string_view name,
                                   const RepositorySpec& spec, const CatalogData& catalog) {
  util::Json body = util::Json::object();
  if (is_public(settings)) {
    body.set("repositoryName", std::string(name));
    util::Json data = util::Json::object();
    data.set("description", catalog.description);
    if (!catalog.architectures.empty())
      data.set("architectures", string_array(catalog.architectures));
    if (!catalog.operating_systems.empty())
      data.set("operatingSystems", string_array(catalog.operating_systems));
    if (!catalog.about_text.empty()) data.set("aboutText", catalog.about_text);
    if (!catalog.usage_text.empty()) data.set("usageText", catalog.usage_text);
    body.set("catalogData", std::move(data));
    if (!spec.resource_tags.empty()) body.set("tags", resource_tags(spec));
    return body.dump();
  }
  if (!settings.registry_id.empty()) body.set("registryId", settings.registry_id);
  body.set("repositoryName", std::string(name));
  body.set("imageTagMutability", spec.tag_mutability);
  if (!spec.mutability_exclusions.empty()) {
    util::Json filters = util::Json::array();
    for (const auto& filter : spec.mutability_exclusions)
      filters.push(util::Json::object().set("filterType", "WILDCARD").set("filter", filter));
    body.set("imageTagMutabilityExclusionFilters", std::move(filters));
  }
  body.set("imageScanningConfiguration", util::Json::object().set("scanOnPush", spec.scan_on_push));
  util::Json encryption = util::Json::object().set("encryptionType", spec.encryption);
  if (spec.encryption == "KMS" && !spec.kms_key.empty()) encryption.set("kmsKey", spec.kms_key);
  body.set("encryptionConfiguration", std::move(encryption));
  if (!spec.resource_tags.empty()) body.set("tags", resource_tags(spec));
  return body.dump();
}

std::string put_lifecycle_policy_body(const EcrApiSettings& settings, std::string_view name,
                                      const std::string& policy) {
  util::Json body = util::Json::object();
  if (!settings.registry_id.empty()) body.set("registryId", settings.registry_id);
  body.set("repositoryName", std::string(name));
  body.set("lifecyclePolicyText", policy);
  return body.dump();
}

Expected<std::optional<RepositoryInfo>> describe_repository(const EcrApiSettings& settings,
                                                            const AwsCredentials& credentials,
                                                            std::string_view name,
                                                            CallContext& context) {
  auto reply = ecr_call(settings, credentials, "DescribeRepositories",
                        describe_repositories_body(settings, name), context);
  if (!reply) {
    if (reply.error().kind == ErrorKind::NotFound) return std::optional<RepositoryInfo>();
    return reply.error();
  }
  return repository_info_from_reply(*reply, name, is_public(settings));
}

std::optional<RepositoryInfo> repository_info_from_reply(const util::Json& reply,
                                                         std::string_view name, bool is_public) {
  const util::Json* repositories = reply.find("repositories");
  if (repositories == nullptr || !repositories->is_array()) return std::nullopt;
  for (const auto& repository : repositories->items()) {
    if (repository.get_string("repositoryName") != std::string(name)) continue;
    RepositoryInfo info;
    if (!is_public)
      info.tag_mutability = repository.get_string("imageTagMutability").value_or("MUTABLE");
    if (const auto* filters = repository.find("imageTagMutabilityExclusionFilters");
        filters != nullptr && filters->is_array()) {
      for (const auto& filter : filters->items())
        if (filter.get_string("filterType").value_or("") == "WILDCARD")
          info.exclusion_filters.push_back(filter.get_string("filter").value_or(""));
    }
    return info;
  }
  return std::nullopt;
}

Expected<bool> create_repository(const EcrApiSettings& settings, const AwsCredentials& credentials,
                                 std::string_view name, const RepositorySpec& spec,
                                 const CatalogData& catalog, CallContext& context) {
  auto reply = ecr_call(settings, credentials, "CreateRepository",
                        create_repository_body(settings, name, spec, catalog), context);
  if (reply) return true;
  if (reply.error().code == "RepositoryAlreadyExistsException") return false;
  return reply.error();
}

Status put_lifecycle_policy(const EcrApiSettings& settings, const AwsCredentials& credentials,
                            std::string_view name, const std::string& policy,
                            CallContext& context) {
  auto reply = ecr_call(settings, credentials, "PutLifecyclePolicy",
                        put_lifecycle_policy_body(settings, name, policy), context);
  if (!reply) return reply.error();
  return {};
}

}  // namespace ecrm::aws
