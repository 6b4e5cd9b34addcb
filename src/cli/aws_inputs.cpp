// The AWS options: values AWS itself would reject (ARN, region, session name, duration) are
// refused here, before any network work, with the allowed form in the hint.
#include <cctype>
#include <regex>
#include <string_view>

#include "cli/inputs.hpp"
#include "util/strings.hpp"

namespace ecrm::cli::detail {
namespace {

bool is_session_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_+=,.@-").find(c) != std::string_view::npos;
}

}  // namespace

Status read_aws(const Inputs& in, Options& o) {
  static const std::regex kRoleArn(R"(^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$)");
  static const std::regex kRegion(R"(^[a-z]{2}(-[a-z]+)+-\d+$)");
  if (auto role = in.value("role-to-assume")) {
    if (!std::regex_match(role->value, kRoleArn)) {
      return usage(role->origin + " " + in_quotes(role->value) + " is not an IAM role ARN",
                   "Use the role's full ARN: arn:aws:iam::123456789012:role/NAME.");
    }
    o.role_to_assume = role->value;
  }
  if (auto region = in.value("aws-region")) {
    if (!std::regex_match(region->value, kRegion)) {
      return usage(region->origin + " " + in_quotes(region->value) + " is not an AWS region name",
                   "Use a region code such as us-east-1 or eu-central-2.");
    }
    o.aws_region = region->value;
  }
  if (auto session = in.value("role-session-name")) {
    const auto& s = session->value;
    bool valid = s.size() >= 2 && s.size() <= 64;
    for (char c : s) valid = valid && is_session_name_char(c);
    if (!valid) {
      return usage(session->origin + " " + in_quotes(s) + " is not a valid role session name",
                   "Use 2 to 64 characters from letters, digits and _+=,.@-.");
    }
    o.role_session_name = s;
  }
  if (auto st = read_int(in, "role-duration-seconds", 900, 43200, o.role_duration_seconds); !st) {
    return st;
  }
  // An empty INPUT_AUDIENCE means "use the default"; an explicit empty flag is a mistake.
  if (in.given_empty("audience")) {
    return usage("--audience \"\" is empty", "Leave audience unset for sts.amazonaws.com.");
  }
  if (auto audience = in.value("audience")) o.audience = audience->value;
  if (auto type = in.value("destination-type")) {
    auto t = util::to_lower(type->value);
    if (t != "auto" && t != "ecr-public" && t != "ecr" && t != "registry") {
      return usage(type->origin + " " + in_quotes(type->value) + " is not a destination type",
                   "Use one of auto, ecr-public, ecr, registry.");
    }
    o.destination_type = t;
  }
  return {};
}

}  // namespace ecrm::cli::detail
