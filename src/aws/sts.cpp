#include "aws/sts.hpp"

#include <ctime>
#include <pugixml.hpp>

#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

constexpr std::string_view kGithubIssuer = "token.actions.githubusercontent.com";

std::string text_of(const pugi::xml_node& node, const char* child) {
  return util::trim(node.child_value(child));
}

// arn:aws:iam::123456789012:role/name → 123456789012 (empty if the ARN has another shape).
std::string account_of(std::string_view role_arn) {
  const auto fields = util::split(role_arn, ':');
  return fields.size() >= 6 ? fields[4] : std::string();
}

std::string trust_policy_hint(const AssumeRoleRequest& request, const TrustContext& trust) {
  if (!trust.github_oidc) {
    return "check the trust policy of " + request.role_arn +
           ": it must allow sts:AssumeRoleWithWebIdentity for the identity provider that issued "
           "the token in AWS_WEB_IDENTITY_TOKEN_FILE, and its conditions must match the token's "
           "aud and sub claims";
  }
  const std::string account = account_of(request.role_arn);
  const std::string repository =
      trust.github_repository.empty() ? "<owner>/<repository>" : trust.github_repository;
  const std::string ref = trust.github_ref.empty() ? "refs/heads/<branch>" : trust.github_ref;
  return "check the trust policy of " + request.role_arn +
         ": it must allow sts:AssumeRoleWithWebIdentity for the federated principal "
         "arn:aws:iam::" +
         (account.empty() ? "<account>" : account) + ":oidc-provider/" +
         std::string(kGithubIssuer) + "; its condition \"" + std::string(kGithubIssuer) +
         ":aud\" must equal \"" + trust.audience + "\" (--audience); and its condition \"" +
         std::string(kGithubIssuer) + ":sub\" must match \"repo:" + repository + ":ref:" + ref +
         "\" (StringLike allows patterns such as \"repo:" + repository + ":*\")";
}

std::string describe(const AwsErrorReply& reply) {
  std::string text = reply.code;
  if (!reply.message.empty()) text += ": " + reply.message;
  if (!reply.request_id.empty()) text += " (request id " + reply.request_id + ")";
  return text;
}

}  // namespace

std::string assume_role_form(const AssumeRoleRequest& request) {
  return "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
         util::url_encode(request.role_arn) +
         "&RoleSessionName=" + util::url_encode(request.session_name) +
         "&WebIdentityToken=" + util::url_encode(request.web_identity_token) +
         "&DurationSeconds=" + std::to_string(request.duration_seconds);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text) {
  std::tm utc{};
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon,
                  &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (digits == 0) return std::nullopt;
    rest.remove_prefix(digits);  // sub-second precision does not matter for expiry
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  if (utc.tm_mon < 1 || utc.tm_mon > 12 || utc.tm_mday < 1 || utc.tm_mday > 31 ||
      utc.tm_hour > 23 || utc.tm_min > 59 || utc.tm_sec > 60) {
    return std::nullopt;
  }
  // system_clock counts nanoseconds in 64 bits: it ends in 2262 and starts in 1677. An expiry
  // outside 1970..2200 means "already expired" or "not in our lifetime"; clamp rather than
  // overflow (found by fuzzing).
  if (utc.tm_year < 1970 || utc.tm_year > 2200) {
    const int year = utc.tm_year < 1970 ? 1970 : 2200;
    utc = std::tm{};
    utc.tm_year = year;
    utc.tm_mon = 1;  // still 1-based here, like the parsed fields
    utc.tm_mday = 1;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

Expected<AwsCredentials> parse_assume_role_reply(std::string_view xml) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size())) {
    return make_error(ErrorKind::Integrity,
                      "STS AssumeRoleWithWebIdentity replied with malformed XML");
  }
  const auto credentials = document.child("AssumeRoleWithWebIdentityResponse")
                               .child("AssumeRoleWithWebIdentityResult")
                               .child("Credentials");
  AwsCredentials result;
  result.access_key_id = text_of(credentials, "AccessKeyId");
  result.secret_access_key = text_of(credentials, "SecretAccessKey");
  result.session_token = text_of(credentials, "SessionToken");
  // Masked before anything else can print them, even when the reply turns out to be incomplete.
  util::Log::get().add_secret(result.secret_access_key);
  util::Log::get().add_secret(result.session_token);
  if (result.access_key_id.empty() || result.secret_access_key.empty() ||
      result.session_token.empty()) {
    return make_error(ErrorKind::Integrity,
                      "STS AssumeRoleWithWebIdentity replied without AccessKeyId, SecretAccessKey "
                      "and SessionToken in AssumeRoleWithWebIdentityResult/Credentials");
  }
  const std::string expiration = text_of(credentials, "Expiration");
  if (!expiration.empty()) {
    result.expiration = parse_iso8601_utc(expiration);
    if (!result.expiration) {
      return make_error(ErrorKind::Integrity,
                        "STS AssumeRoleWithWebIdentity replied with an unreadable Expiration \"" +
                            expiration + "\"");
    }
  }
  result.source = "STS AssumeRoleWithWebIdentity";
  return result;
}

std::optional<AwsErrorReply> parse_sts_error_reply(std::string_view xml) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size())) return std::nullopt;
  const auto response = document.child("ErrorResponse");
  const auto error = response.child("Error");
  if (!error) return std::nullopt;
  AwsErrorReply reply;
  reply.type = text_of(error, "Type");
  reply.code = text_of(error, "Code");
  reply.message = text_of(error, "Message");
  reply.request_id = text_of(response, "RequestId");
  if (reply.code.empty()) return std::nullopt;
  return reply;
}

Error sts_error(long status, std::string_view body, const AssumeRoleRequest& request,
                const TrustContext& trust) {
  const auto reply = parse_sts_error_reply(body);
  const std::string code = reply ? reply->code : std::string();
  const std::string detail = reply ? describe(*reply) : "HTTP " + std::to_string(status);
  Error error = make_error(ErrorKind::Auth, "STS AssumeRoleWithWebIdentity for " +
                                                request.role_arn + " failed: " + detail);
  error.http_status = static_cast<int>(status);
  error.code = code;
  if (is_retryable_aws_reply(status, code)) {
    error.retryable = true;
    error.hint = "STS or the identity provider is unavailable or throttling; re-run the job later";
    return error;
  }
  if (code == "AccessDenied" || code == "IDPRejectedClaim") {
    error.hint = trust_policy_hint(request, trust);
  } else if (code == "InvalidIdentityToken") {
    error.hint = trust.github_oidc
                     ? "check that the role's account has an IAM OIDC identity provider for "
                       "https://" +
                           std::string(kGithubIssuer) +
                           " whose audience (client ID) "
                           "list includes \"" +
                           trust.audience + "\", and that --audience matches it"
                     : "check that the role's account has an IAM OIDC identity provider for the "
                       "issuer of the token in AWS_WEB_IDENTITY_TOKEN_FILE";
  } else if (code == "ExpiredTokenException") {
    error.hint =
        "the web identity token expired before STS checked it: re-run the job, and check "
        "that the runner's clock is right";
  } else if (code == "ValidationError") {
    error.kind = ErrorKind::Usage;
    error.hint =
        "check --role-to-assume (a role ARN), --role-session-name and "
        "--role-duration-seconds (at most the role's maximum session duration)";
  } else if (code == "RegionDisabledException") {
    error.hint =
        "activate STS in this region (IAM account settings) or choose another --aws-region";
  }
  return error;
}

Expected<AwsCredentials> assume_role_with_web_identity(const AssumeRoleRequest& request,
                                                       const TrustContext& trust,
                                                       CallContext& context) {
  util::Log::get().add_secret(request.web_identity_token);
  const std::function<Expected<AwsCredentials>()> attempt = [&]() -> Expected<AwsCredentials> {
    http::Request http_request;
    http_request.method = "POST";
    http_request.url = request.endpoint + "/";
    http_request.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    http_request.headers.set("Accept", "text/xml");
    http_request.body = assume_role_form(request);
    auto response = context.transport(http_request);
    if (!response) {
      Error error = response.error();
      error.message = "STS AssumeRoleWithWebIdentity at " + request.endpoint + ": " + error.message;
      return error;
    }
    if (response->status < 200 || response->status > 299)
      return sts_error(response->status, response->body, request, trust);
    return parse_assume_role_reply(response->body);
  };
  return with_retries(context, "STS AssumeRoleWithWebIdentity", attempt);
}

}  // namespace ecrm::aws
