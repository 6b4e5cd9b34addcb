// The settings of a repository that --create-repository creates. Each is checked against what
// the ECR API accepts (CreateRepository and PutLifecyclePolicy input constraints in the ECR API
// reference; CatalogData in the ECR Public API reference) before any network request.
#include <fstream>
#include <regex>
#include <sstream>

#include "aws/lifecycle.hpp"
#include "cli/inputs.hpp"
#include "util/strings.hpp"

namespace ecrm::cli::detail {
namespace {

constexpr std::size_t kMaxExclusionFilters = 5;
constexpr std::size_t kMaxResourceTags = 50;

Status read_one_of(const Inputs& in, const char* name, std::initializer_list<const char*> allowed,
                   std::string& out) {
  auto raw = in.value(name);
  if (!raw) return {};
  const std::string value = util::to_upper(raw->value);
  for (const char* candidate : allowed) {
    if (value == candidate) {
      out = value;
      return {};
    }
  }
  std::vector<std::string> names(allowed.begin(), allowed.end());
  return usage(
      raw->origin + " " + in_quotes(raw->value) + " is not one of " + util::join(names, ", "),
      "Use one of " + util::join(names, ", ") + ".");
}

Status read_exclusions(const Inputs& in, aws::RepositorySpec& spec) {
  static const std::regex kFilter(R"(^[0-9a-zA-Z._*-]{1,128}$)");
  auto raw = in.value("immutable-tag-exclusions");
  if (!raw) return {};
  spec.mutability_exclusions = util::split_list(raw->value);
  if (spec.mutability_exclusions.size() > kMaxExclusionFilters)
    return usage(raw->origin + " has " + std::to_string(spec.mutability_exclusions.size()) +
                     " filters; ECR takes at most " + std::to_string(kMaxExclusionFilters),
                 "Combine filters with '*' wildcards.");
  for (const auto& filter : spec.mutability_exclusions)
    if (!std::regex_match(filter, kFilter))
      return usage(raw->origin + " filter " + in_quotes(filter) + " is not an ECR wildcard filter",
                   "Use 1 to 128 characters from letters, digits, . _ - and the wildcard *.");
  if (spec.tag_mutability != "IMMUTABLE_WITH_EXCLUSION" &&
      spec.tag_mutability != "MUTABLE_WITH_EXCLUSION")
    return usage(raw->origin +
                     " needs image-tag-mutability IMMUTABLE_WITH_EXCLUSION or "
                     "MUTABLE_WITH_EXCLUSION (it is " +
                     spec.tag_mutability + ")",
                 "Set image-tag-mutability: IMMUTABLE_WITH_EXCLUSION to keep every tag but "
                 "these immutable.");
  return {};
}

Status read_resource_tags(const Inputs& in, aws::RepositorySpec& spec) {
  auto raw = in.value("repository-tags");
  if (!raw) return {};
  for (const auto& item : util::split_list(raw->value)) {
    const auto equals = item.find('=');
    const std::string key = util::trim(item.substr(0, equals));
    const std::string value =
        equals == std::string::npos ? "" : util::trim(item.substr(equals + 1));
    if (equals == std::string::npos || key.empty() || key.size() > 128 || value.size() > 256 ||
        util::starts_with(util::to_lower(key), "aws:"))
      return usage(raw->origin + " entry " + in_quotes(item) + " is not a resource tag",
                   "Write Key=Value pairs separated by commas or newlines (key 1-128 characters, "
                   "not starting with aws:, value at most 256).");
    spec.resource_tags.emplace_back(key, value);
  }
  if (spec.resource_tags.size() > kMaxResourceTags)
    return usage(raw->origin + " has " + std::to_string(spec.resource_tags.size()) +
                     " tags; AWS resources take at most " + std::to_string(kMaxResourceTags),
                 "Keep the tags that matter.");
  return {};
}

Status read_lifecycle_policy(const Inputs& in, aws::RepositorySpec& spec) {
  auto raw = in.value("lifecycle-policy");
  if (!raw) return {};
  std::ifstream file(raw->value, std::ios::binary);
  if (!file.is_open())
    return usage(raw->origin + " " + in_quotes(raw->value) + " is not a readable file",
                 "Name a JSON file holding an ECR lifecycle policy ({\"rules\": [...]}).");
  std::ostringstream text;
  text << file.rdbuf();
  if (auto valid = aws::validate_lifecycle_policy(text.str(), raw->value); !valid) {
    Error e = valid.error();
    e.message = raw->origin + ": " + e.message;
    return e;
  }
  spec.lifecycle_policy = text.str();
  return {};
}

Status read_text(const Inputs& in, const char* name, std::size_t limit, std::string& out) {
  auto raw = in.value(name);
  if (!raw) return {};
  if (raw->value.size() > limit)
    return usage(raw->origin + " has " + std::to_string(raw->value.size()) +
                     " characters; ECR Public takes at most " + std::to_string(limit),
                 "Shorten it.");
  out = raw->value;
  return {};
}

}  // namespace

Status read_repository(const Inputs& in, Options& o) {
  aws::RepositorySpec& spec = o.repository;
  if (auto st = read_one_of(
          in, "image-tag-mutability",
          {"MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"},
          spec.tag_mutability);
      !st)
    return st;
  if (auto st = read_exclusions(in, spec); !st) return st;
  if (auto st = read_one_of(in, "encryption", {"AES256", "KMS", "KMS_DSSE"}, spec.encryption); !st)
    return st;
  if (auto key = in.value("kms-key")) {
    if (spec.encryption == "AES256")
      return usage(key->origin + " is set but encryption is AES256",
                   "Set encryption: KMS (or KMS_DSSE) to use a KMS key.");
    if (key->value.size() > 2048)
      return usage(key->origin + " is longer than 2048 characters", "Give the key's ARN or alias.");
    spec.kms_key = key->value;
  }
  if (auto raw = in.value("scan-on-push")) {
    auto value = parse_bool(raw->value);
    if (!value)
      return usage(raw->origin + " " + in_quotes(raw->value) + " is not true or false",
                   "Use true or false.");
    spec.scan_on_push = *value;
  }
  if (auto st = read_lifecycle_policy(in, spec); !st) return st;
  if (auto st = read_resource_tags(in, spec); !st) return st;
  // CatalogData limits (ECR Public API reference).
  if (auto st = read_text(in, "repository-description", 1024, spec.description); !st) return st;
  if (auto st = read_text(in, "repository-about", 25600, spec.about); !st) return st;
  if (auto st = read_text(in, "repository-usage", 25600, spec.usage); !st) return st;
  return {};
}

}  // namespace ecrm::cli::detail
