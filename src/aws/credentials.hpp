#pragma once
// AWS credentials for the ECR APIs, found the way configure-aws-credentials and the AWS SDKs find
// them: with a role to assume, GitHub's OIDC token exchanged at STS; otherwise the environment's
// keys, then the web-identity token file (EKS). Nothing is ever written to disk.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "aws/retry.hpp"
#include "util/env.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                                        // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // unset: does not expire
  std::string source;  // where they came from, for log lines: "GitHub OIDC", "environment", …
};

struct CredentialSettings {
  std::string role_to_assume;  // empty: no OIDC exchange
  std::string role_session_name = "GitHubActions";
  int duration_seconds = 3600;
  std::string audience = "sts.amazonaws.com";
  std::string sts_endpoint;  // "https://sts.us-east-1.amazonaws.com", no trailing slash
};

// The chain, first match wins:
// 1. settings.role_to_assume → GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN) → STS.
// 2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
// 3. AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME) → STS.
// Each secret is registered with the log as soon as it is known. Failures are ErrorKind::Auth
// with a hint saying how to provide what is missing.
Expected<AwsCredentials> resolve_credentials(const CredentialSettings& settings,
                                             const util::EnvLookup& env, CallContext& context);

// GitHub's token endpoint URL for an audience: the request URL already carries a query
// (api-version), so the audience is appended with '&' ('?' when it has none).
std::string oidc_token_url(std::string_view request_url, std::string_view audience);
// The token from the endpoint's JSON reply {"count":…, "value":"<JWT>"}; Auth error otherwise.
Expected<std::string> parse_oidc_token_reply(long status, std::string_view body);

// True when the credentials expire before now + margin (they must be fetched again).
bool expires_within(const AwsCredentials& credentials, std::chrono::seconds margin,
                    std::chrono::system_clock::time_point now);

// Credentials fetched once and again when they are about to expire: STS credentials last an hour
// by default, a mirror run may last longer. Thread-safe; the context is used under the lock only.
class CredentialCache {
 public:
  // Fetched again when they expire within this margin.
  static constexpr std::chrono::minutes kRefreshMargin{5};

  CredentialCache(CredentialSettings settings, util::EnvLookup env, CallContext context);
  // refresh=true fetches new credentials even if the cached ones look valid (AWS rejected them).
  Expected<AwsCredentials> get(bool refresh = false);

 private:
  std::mutex mutex_;
  CredentialSettings settings_;
  util::EnvLookup env_;
  CallContext context_;
  std::optional<AwsCredentials> cached_;
};

}  // namespace ecrm::aws
