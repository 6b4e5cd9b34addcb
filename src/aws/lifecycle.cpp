#include "aws/lifecycle.hpp"

#include <set>
#include <string>

#include "util/json.hpp"

namespace ecrm::aws {
namespace {

Error invalid(std::string_view origin, const std::string& where, const std::string& why) {
  return make_error(ErrorKind::Usage,
                    "lifecycle policy " + std::string(origin) + ": " + where + ": " + why,
                    "fix the policy file; its format is in the Amazon ECR User Guide, \"Lifecycle "
                    "policy properties\"");
}

bool is_positive_int(const util::Json* value) {
  return value != nullptr && value->is_int() && value->as_int() > 0;
}

bool is_string_list(const util::Json* value) {
  if (value == nullptr || !value->is_array() || value->items().empty()) return false;
  for (const auto& item : value->items())
    if (!item.is_string() || item.as_string().empty()) return false;
  return true;
}

Status check_selection(const util::Json& selection, const std::string& where,
                       std::string_view origin) {
  const std::string tag_status = selection.get_string("tagStatus").value_or("");
  if (tag_status != "tagged" && tag_status != "untagged" && tag_status != "any")
    return invalid(origin, where + ".tagStatus", "must be \"tagged\", \"untagged\" or \"any\"");
  const auto* prefixes = selection.find("tagPrefixList");
  const auto* patterns = selection.find("tagPatternList");
  if (tag_status == "tagged" && !is_string_list(prefixes) && !is_string_list(patterns))
    return invalid(origin, where,
                   "a rule with tagStatus \"tagged\" needs a non-empty tagPrefixList or "
                   "tagPatternList");
  if (prefixes != nullptr && patterns != nullptr)
    return invalid(origin, where, "tagPrefixList and tagPatternList cannot both be given");
  const std::string count_type = selection.get_string("countType").value_or("");
  if (count_type != "imageCountMoreThan" && count_type != "sinceImagePushed")
    return invalid(origin, where + ".countType",
                   "must be \"imageCountMoreThan\" or \"sinceImagePushed\"");
  if (!is_positive_int(selection.find("countNumber")))
    return invalid(origin, where + ".countNumber", "must be a whole number of at least 1");
  const auto unit = selection.get_string("countUnit");
  if (count_type == "sinceImagePushed" && unit != std::optional<std::string>("days"))
    return invalid(origin, where + ".countUnit", "must be \"days\" with sinceImagePushed");
  if (count_type == "imageCountMoreThan" && unit)
    return invalid(origin, where + ".countUnit", "is not allowed with imageCountMoreThan");
  return {};
}

}  // namespace

Status validate_lifecycle_policy(std::string_view text, std::string_view origin) {
  if (text.size() > kMaxLifecyclePolicyLength)
    return invalid(origin, "the policy",
                   "has " + std::to_string(text.size()) + " characters; ECR takes at most " +
                       std::to_string(kMaxLifecyclePolicyLength));
  auto json = util::Json::parse(text, 16);
  if (!json) return invalid(origin, "the policy", "is not valid JSON: " + json.error().message);
  const auto* rules = json->is_object() ? json->find("rules") : nullptr;
  if (rules == nullptr || !rules->is_array() || rules->items().empty())
    return invalid(origin, "rules", "must be a non-empty list of rules");
  std::set<std::int64_t> priorities;
  std::int64_t highest = 0, any_priority = 0;
  int any_rules = 0;
  for (std::size_t i = 0; i < rules->items().size(); ++i) {
    const auto& rule = rules->items()[i];
    const std::string where = "rules[" + std::to_string(i) + "]";
    if (!rule.is_object()) return invalid(origin, where, "must be an object");
    const auto* priority = rule.find("rulePriority");
    if (!is_positive_int(priority) || priority->as_int() > 999)
      return invalid(origin, where + ".rulePriority", "must be a whole number from 1 to 999");
    if (!priorities.insert(priority->as_int()).second)
      return invalid(origin, where + ".rulePriority",
                     std::to_string(priority->as_int()) + " is used by another rule");
    highest = std::max(highest, priority->as_int());
    if (const auto* description = rule.find("description");
        description != nullptr && !description->is_string())
      return invalid(origin, where + ".description", "must be a string");
    const auto* selection = rule.find("selection");
    if (selection == nullptr || !selection->is_object())
      return invalid(origin, where + ".selection", "is missing");
    if (auto status = check_selection(*selection, where + ".selection", origin); !status)
      return status;
    if (selection->get_string("tagStatus") == std::optional<std::string>("any")) {
      ++any_rules;
      any_priority = priority->as_int();
    }
    const auto* action = rule.find("action");
    if (action == nullptr || !action->is_object() ||
        action->get_string("type") != std::optional<std::string>("expire"))
      return invalid(origin, where + ".action", "must be {\"type\": \"expire\"}");
  }
  if (any_rules > 1) return invalid(origin, "rules", "only one rule may have tagStatus \"any\"");
  if (any_rules == 1 && any_priority != highest)
    return invalid(origin, "rules",
                   "the rule with tagStatus \"any\" must have the highest rulePriority");
  return {};
}

}  // namespace ecrm::aws
