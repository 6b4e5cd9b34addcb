#pragma once
// STS AssumeRoleWithWebIdentity (STS API reference, Query API, version 2011-06-15): an unsigned
// form POST answered in XML. The only file that includes pugixml is sts.cpp.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/retry.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

struct AssumeRoleRequest {
  std::string endpoint;  // "https://sts.us-east-1.amazonaws.com"
  std::string role_arn;
  std::string session_name;
  std::string web_identity_token;  // a secret
  int duration_seconds = 3600;
};

// What the error hints quote so the user can compare with the role's trust policy.
struct TrustContext {
  std::string audience;           // the OIDC token's aud
  std::string github_repository;  // GITHUB_REPOSITORY, may be empty
  std::string github_ref;         // GITHUB_REF, may be empty
  bool github_oidc = true;        // false for the web-identity token file flow
};

// The form body: Action, Version, RoleArn, RoleSessionName, WebIdentityToken, DurationSeconds.
std::string assume_role_form(const AssumeRoleRequest& request);

// Parses AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials and
// registers the secret key and session token with the log. Integrity error when malformed.
Expected<AwsCredentials> parse_assume_role_reply(std::string_view xml);

struct AwsErrorReply {
  std::string type;  // "Sender" or "Receiver"
  std::string code;  // "AccessDenied"
  std::string message;
  std::string request_id;
};
// ErrorResponse/Error/{Type, Code, Message} and ErrorResponse/RequestId; nullopt if not that shape.
std::optional<AwsErrorReply> parse_sts_error_reply(std::string_view xml);

// The error for a non-2xx reply: Auth with a hint on the trust policy for AccessDenied,
// InvalidIdentityToken, IDPRejectedClaim and ExpiredTokenException; retryable for throttling,
// IDPCommunicationError and 5xx.
Error sts_error(long status, std::string_view body, const AssumeRoleRequest& request,
                const TrustContext& trust);

// POSTs the form and parses the reply, retrying what is retryable.
Expected<AwsCredentials> assume_role_with_web_identity(const AssumeRoleRequest& request,
                                                       const TrustContext& trust,
                                                       CallContext& context);

// ISO 8601 UTC as STS writes it: "2024-05-01T12:00:00Z", fractional seconds allowed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text);

}  // namespace ecrm::aws
