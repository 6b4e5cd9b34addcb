#include "aws/lifecycle.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace ecrm;

namespace {

std::string rule(int priority, const std::string& selection) {
  return R"({"rulePriority":)" + std::to_string(priority) + R"(,"selection":)" + selection +
         R"(,"action":{"type":"expire"}})";
}

const std::string kUntagged =
    R"({"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14})";
const std::string kTagged =
    R"({"tagStatus":"tagged","tagPrefixList":["noble-"],"countType":"imageCountMoreThan","countNumber":10})";
const std::string kAny = R"({"tagStatus":"any","countType":"imageCountMoreThan","countNumber":50})";

std::string policy(const std::string& rules) {
  return R"({"rules":[)" + rules + "]}";
}

}  // namespace

TEST_CASE("lifecycle policies ECR accepts", "[lifecycle]") {
  CHECK(aws::validate_lifecycle_policy(policy(rule(1, kUntagged)), "p.json").ok());
  CHECK(aws::validate_lifecycle_policy(
            policy(rule(1, kUntagged) + "," + rule(2, kTagged) + "," + rule(3, kAny)), "p.json")
            .ok());
}

TEST_CASE("lifecycle policies ECR refuses name the rule and the key", "[lifecycle]") {
  struct Case {
    std::string text;
    std::string where;
  };
  const Case cases[] = {
      {"not json", "not valid JSON"},
      {R"({"rules":[]})", "rules"},
      {policy(rule(0, kUntagged)), "rules[0].rulePriority"},
      {policy(rule(1, kUntagged) + "," + rule(1, kTagged)), "rules[1].rulePriority"},
      {policy(rule(
           1, R"({"tagStatus":"sometimes","countType":"imageCountMoreThan","countNumber":1})")),
       "rules[0].selection.tagStatus"},
      {policy(
           rule(1, R"({"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1})")),
       "tagPrefixList"},
      {policy(
           rule(1, R"({"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1})")),
       "countUnit"},
      {policy(rule(
           1,
           R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countUnit":"days","countNumber":1})")),
       "countUnit"},
      {policy(
           rule(1, R"({"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0})")),
       "countNumber"},
      {policy(rule(2, kAny) + "," + rule(3, kUntagged)), "highest rulePriority"},
      {policy(R"({"rulePriority":1,"selection":)" + kUntagged + R"(,"action":{"type":"keep"}})"),
       "rules[0].action"},
      {std::string(aws::kMaxLifecyclePolicyLength + 1, ' '), "30720"},
  };
  for (const auto& c : cases) {
    INFO(c.text.substr(0, 120));
    auto status = aws::validate_lifecycle_policy(c.text, "policy.json");
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::Usage);
    CHECK(status.error().message.find("policy.json") != std::string::npos);
    CHECK(status.error().message.find(c.where) != std::string::npos);
  }
}
