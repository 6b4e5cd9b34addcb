#include "aws/credentials.hpp"

#include <fstream>
#include <sstream>

#include "aws/retry.hpp"
#include "aws/sts.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

// The token file is a JWT: a few KiB. Anything far larger is not one.
constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;

std::string env_or(const util::EnvLookup& env, const std::string& name, std::string fallback = {}) {
  auto value = env(name);
  return value ? *value : std::move(fallback);
}

TrustContext trust_context(const CredentialSettings& settings, const util::EnvLookup& env,
                           bool github_oidc) {
  TrustContext trust;
  trust.audience = settings.audience;
  trust.github_repository = env_or(env, "GITHUB_REPOSITORY");
  trust.github_ref = env_or(env, "GITHUB_REF");
  trust.github_oidc = github_oidc;
  return trust;
}

Expected<std::string> fetch_github_oidc_token(const CredentialSettings& settings,
                                              const util::EnvLookup& env, CallContext& context) {
  const auto request_url = env("ACTIONS_ID_TOKEN_REQUEST_URL");
  const auto request_token = env("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
  if (request_token) util::Log::get().add_secret(*request_token);
  if (!request_url || !request_token) {
    return make_error(
        ErrorKind::Auth,
        "--role-to-assume needs a GitHub OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL and "
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set",
        "give the job `permissions: id-token: write` (and keep `contents: read`) in the workflow; "
        "outside GitHub Actions, provide AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY instead of a "
        "role");
  }
  const std::function<Expected<std::string>()> attempt = [&]() -> Expected<std::string> {
    http::Request request;
    request.url = oidc_token_url(*request_url, settings.audience);
    request.headers.set("Authorization", "Bearer " + *request_token);
    request.headers.set("Accept", "application/json");
    auto response = context.transport(request);
    if (!response) {
      Error error = response.error();
      error.message = "requesting the GitHub OIDC token: " + error.message;
      return error;
    }
    return parse_oidc_token_reply(response->status, response->body);
  };
  return with_retries(context, "GitHub OIDC token request", attempt);
}

Expected<AwsCredentials> from_github_oidc(const CredentialSettings& settings,
                                          const util::EnvLookup& env, CallContext& context) {
  auto token = fetch_github_oidc_token(settings, env, context);
  if (!token) return token.error();
  AssumeRoleRequest request{settings.sts_endpoint, settings.role_to_assume,
                            settings.role_session_name, *token, settings.duration_seconds};
  auto credentials =
      assume_role_with_web_identity(request, trust_context(settings, env, true), context);
  if (credentials) credentials->source = "GitHub OIDC and STS (" + settings.role_to_assume + ")";
  return credentials;
}

Expected<AwsCredentials> from_web_identity_file(const CredentialSettings& settings,
                                                const util::EnvLookup& env,
                                                const std::string& role_arn,
                                                const std::string& path, CallContext& context) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  if (file) contents << file.rdbuf();
  if (!file || contents.str().size() > kMaxTokenFileBytes) {
    return make_error(ErrorKind::Auth,
                      "cannot read the web identity token file AWS_WEB_IDENTITY_TOKEN_FILE=" + path,
                      "point AWS_WEB_IDENTITY_TOKEN_FILE at a readable file holding the token, or "
                      "unset it and AWS_ROLE_ARN");
  }
  const std::string token = util::trim(contents.str());
  util::Log::get().add_secret(token);
  if (token.empty()) {
    return make_error(ErrorKind::Auth, "the web identity token file " + path + " is empty",
                      "check what writes AWS_WEB_IDENTITY_TOKEN_FILE (on EKS: the pod identity "
                      "webhook's projected service-account token)");
  }
  AssumeRoleRequest request{settings.sts_endpoint, role_arn,
                            env_or(env, "AWS_ROLE_SESSION_NAME", settings.role_session_name), token,
                            settings.duration_seconds};
  auto credentials =
      assume_role_with_web_identity(request, trust_context(settings, env, false), context);
  if (credentials) credentials->source = "web identity token file and STS (" + role_arn + ")";
  return credentials;
}

}  // namespace

std::string oidc_token_url(std::string_view request_url, std::string_view audience) {
  const char separator = request_url.find('?') == std::string_view::npos ? '?' : '&';
  return std::string(request_url) + separator + "audience=" + util::url_encode(audience);
}

Expected<std::string> parse_oidc_token_reply(long status, std::string_view body) {
  if (status < 200 || status > 299) {
    Error error = make_error(
        ErrorKind::Auth, "the GitHub OIDC token request failed with HTTP " + std::to_string(status),
        "check that the job has `permissions: id-token: write`; a 5xx is GitHub's side: re-run");
    error.http_status = static_cast<int>(status);
    error.retryable = is_retryable_aws_reply(status, "");
    return error;
  }
  auto json = util::Json::parse(body);
  const auto value = json ? json->get_string("value") : std::nullopt;
  if (value) util::Log::get().add_secret(*value);
  if (!value || value->empty()) {
    return make_error(ErrorKind::Auth,
                      "the GitHub OIDC token endpoint replied without a token (no \"value\")",
                      "re-run the job; if it persists, check ACTIONS_ID_TOKEN_REQUEST_URL");
  }
  return *value;
}

bool expires_within(const AwsCredentials& credentials, std::chrono::seconds margin,
                    std::chrono::system_clock::time_point now) {
  return credentials.expiration && *credentials.expiration <= now + margin;
}

Expected<AwsCredentials> resolve_credentials(const CredentialSettings& settings,
                                             const util::EnvLookup& env, CallContext& context) {
  // Registered first: nothing below may print them, but an error path might try.
  for (const char* secret : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    if (auto value = env(secret)) util::Log::get().add_secret(*value);
  }
  if (!settings.role_to_assume.empty()) return from_github_oidc(settings, env, context);

  const auto access_key = env("AWS_ACCESS_KEY_ID");
  const auto secret_key = env("AWS_SECRET_ACCESS_KEY");
  if (access_key && secret_key) {
    AwsCredentials credentials;
    credentials.access_key_id = *access_key;
    credentials.secret_access_key = *secret_key;
    credentials.session_token = env_or(env, "AWS_SESSION_TOKEN");
    credentials.source = "environment (AWS_ACCESS_KEY_ID)";
    return credentials;
  }
  if (access_key || secret_key) {
    return make_error(ErrorKind::Auth,
                      std::string(access_key ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
                                               "is not"
                                             : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID "
                                               "is not"),
                      "set both, or neither and use --role-to-assume");
  }

  const auto role_arn = env("AWS_ROLE_ARN");
  const auto token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
  if (role_arn && token_file)
    return from_web_identity_file(settings, env, *role_arn, *token_file, context);

  return make_error(ErrorKind::Auth, "no AWS credentials found for the Amazon ECR destination",
                    "pass --role-to-assume (input role-to-assume) with `permissions: id-token: "
                    "write` to use GitHub OIDC, or set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), or "
                    "AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE");
}

CredentialCache::CredentialCache(CredentialSettings settings, util::EnvLookup env,
                                 CallContext context)
    : settings_(std::move(settings)), env_(std::move(env)), context_(std::move(context)) {}

Expected<AwsCredentials> CredentialCache::get(bool refresh) {
  std::lock_guard lock(mutex_);
  const auto now = context_.now ? context_.now() : std::chrono::system_clock::now();
  if (cached_ && !refresh && !expires_within(*cached_, kRefreshMargin, now)) return *cached_;
  auto fresh = resolve_credentials(settings_, env_, context_);
  if (!fresh) return fresh.error();
  if (cached_) util::Log::get().info("AWS credentials renewed from " + fresh->source);
  cached_ = *fresh;
  return fresh;
}

}  // namespace ecrm::aws
