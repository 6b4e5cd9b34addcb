#include "aws/ecr.hpp"

#include <algorithm>
#include <cmath>

#include "aws/sigv4.hpp"
#include "util/base64.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

bool is_public(DestinationType type) {
  return type == DestinationType::EcrPublic;
}

std::string service_name(DestinationType type) {
  return is_public(type) ? "ECR Public" : "ECR";
}

// The IAM actions an operation needs, for hints.
std::string iam_actions(DestinationType type, std::string_view operation) {
  std::string actions = ecr_signing_name(type) + ":" + std::string(operation);
  // ECR Public's token is a service bearer token issued through STS (ECR Public User Guide,
  // "Registry authentication").
  if (is_public(type) && operation == "GetAuthorizationToken")
    actions += " and sts:GetServiceBearerToken";
  return actions;
}

bool is_auth_code(std::string_view code) {
  static constexpr std::string_view kAuth[] = {
      "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
      "IncompleteSignature",   "MissingAuthenticationToken",  "ExpiredTokenException",
      "InvalidClientTokenId",  "SignatureDoesNotMatch",       "AccessDenied"};
  return std::find(std::begin(kAuth), std::end(kAuth), code) != std::end(kAuth);
}

std::string auth_hint(DestinationType type, std::string_view operation, std::string_view code) {
  if (code == "ExpiredTokenException")
    return "the AWS credentials expired: re-run the job, or raise --role-duration-seconds";
  if (code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
      code == "IncompleteSignature") {
    return "AWS rejected the request signature: check that the secret access key belongs to the "
           "access key id, and that the runner's clock is right";
  }
  if (code == "UnrecognizedClientException" || code == "InvalidClientTokenId" ||
      code == "MissingAuthenticationToken") {
    return "AWS does not know these credentials: check AWS_ACCESS_KEY_ID, and that temporary keys "
           "come with their AWS_SESSION_TOKEN";
  }
  return "the AWS identity's permissions policy must allow " + iam_actions(type, operation) +
         (is_public(type) ? " (ECR Public is always in us-east-1)" : " on this registry");
}

// "RepositoryNotFoundException:http://internal.amazon.com/…" or "com.amazonaws.ecr#Code".
std::string bare_code(std::string_view raw) {
  auto hash = raw.rfind('#');
  if (hash != std::string_view::npos) raw.remove_prefix(hash + 1);
  raw = raw.substr(0, raw.find(':'));
  return util::trim(raw);
}

Expected<AuthorizationToken> decode_token(const std::string& token, const util::Json* expires_at) {
  util::Log::get().add_secret(token);
  auto decoded = util::base64_decode(token);
  if (decoded) util::Log::get().add_secret(*decoded);
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos || colon == 0 || colon + 1 == decoded->size()) {
    return make_error(ErrorKind::Integrity,
                      "the ECR authorization token is not base64 of \"<user>:<password>\"");
  }
  AuthorizationToken result;
  result.username = decoded->substr(0, colon);
  result.password = decoded->substr(colon + 1);
  util::Log::get().add_secret(result.password);
  if (expires_at == nullptr || !expires_at->is_number()) {
    return make_error(ErrorKind::Integrity, "the ECR authorization token has no expiresAt");
  }
  // system_clock holds nanoseconds in 64 bits (1677..2262): clamp to 1970..2200 rather than
  // overflow on a hostile or broken reply (found by fuzzing). NaN counts as already expired.
  double seconds = expires_at->as_double();
  constexpr double kYear2200 = 7258118400.0;
  if (!(seconds >= 0)) seconds = 0;
  if (seconds > kYear2200) seconds = kYear2200;
  result.expires_at = std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<std::int64_t>(std::floor(seconds))));
  return result;
}

Expected<AuthorizationToken> token_from_reply(DestinationType type, const util::Json& reply) {
  const util::Json* data = reply.find("authorizationData");
  if (data != nullptr && !is_public(type))
    data = data->is_array() && !data->items().empty() ? &data->items().front() : nullptr;
  const auto token = data != nullptr ? data->get_string("authorizationToken") : std::nullopt;
  if (!token || token->empty()) {
    return make_error(ErrorKind::Integrity, service_name(type) +
                                                " GetAuthorizationToken replied without "
                                                "authorizationData.authorizationToken");
  }
  auto result = decode_token(*token, data->find("expiresAt"));
  if (result) result->proxy_endpoint = data->get_string("proxyEndpoint").value_or("");
  return result;
}

}  // namespace

Expected<util::Json> ecr_call(const EcrApiSettings& settings, const AwsCredentials& credentials,
                              std::string_view operation, const std::string& body,
                              CallContext& context) {
  const std::string what = service_name(settings.type) + " " + std::string(operation);
  const std::function<Expected<util::Json>()> attempt = [&]() -> Expected<util::Json> {
    http::Request request;
    request.method = "POST";
    request.url = settings.endpoint + "/";
    request.headers.set("Content-Type", "application/x-amz-json-1.1");
    request.headers.set("X-Amz-Target", ecr_target(settings.type, operation));
    request.body = body;
    // Signed per attempt: a retry gets a fresh X-Amz-Date.
    auto signed_ok = sign_request(
        request, credentials, {settings.region, ecr_signing_name(settings.type)}, context.now());
    if (!signed_ok) return signed_ok.error();
    auto response = context.transport(request);
    if (!response) {
      Error error = response.error();
      error.message = what + " at " + settings.endpoint + ": " + error.message;
      return error;
    }
    if (response->status < 200 || response->status > 299)
      return ecr_error(settings.type, operation, response->status, response->headers,
                       response->body);
    auto json = util::Json::parse(response->body.empty() ? "{}" : response->body);
    if (!json || !json->is_object())
      return make_error(ErrorKind::Integrity, what + " replied with malformed JSON");
    return json;
  };
  return with_retries(context, what, attempt);
}

std::string ecr_target(DestinationType type, std::string_view operation) {
  return (is_public(type) ? "SpencerFrontendService." : "AmazonEC2ContainerRegistry_V20150921.") +
         std::string(operation);
}

std::string ecr_signing_name(DestinationType type) {
  return is_public(type) ? "ecr-public" : "ecr";
}

Expected<AuthorizationToken> parse_authorization_token_reply(DestinationType type,
                                                             std::string_view body) {
  auto json = util::Json::parse(body);
  if (!json) {
    return make_error(ErrorKind::Integrity,
                      service_name(type) + " GetAuthorizationToken replied with malformed JSON");
  }
  return token_from_reply(type, *json);
}

Error ecr_error(DestinationType type, std::string_view operation, long status,
                const http::Headers& headers, std::string_view body) {
  auto json = util::Json::parse(body);
  std::string code = bare_code(headers.get("x-amzn-ErrorType").value_or(""));
  std::string message;
  if (json && json->is_object()) {
    if (code.empty()) code = bare_code(json->get_string("__type").value_or(""));
    if (code.empty()) code = bare_code(json->get_string("code").value_or(""));
    message = json->get_string("message").value_or(json->get_string("Message").value_or(""));
  }
  std::string detail = code.empty() ? "HTTP " + std::to_string(status)
                                    : code + " (HTTP " + std::to_string(status) + ")";
  if (!message.empty()) detail += ": " + message;
  if (auto request_id = headers.get("x-amzn-RequestId"))
    detail += " (request id " + *request_id + ")";

  Error error = make_error(ErrorKind::Registry, service_name(type) + " " + std::string(operation) +
                                                    " failed: " + detail);
  error.http_status = static_cast<int>(status);
  error.code = code;
  // Before the code-specific kinds: a 5xx naming RepositoryNotFoundException is still a 5xx
  // (found by fuzz_service_reply).
  if (is_retryable_aws_reply(status, code)) {
    error.retryable = true;
    error.hint = "AWS is throttling or unavailable; re-run the job later";
  } else if (code == "RepositoryNotFoundException") {
    error.kind = ErrorKind::NotFound;
    error.hint =
        "create the repository, or pass --create-repository (input create-repository: true)";
  } else if (is_auth_code(code) || status == 401 || status == 403) {
    error.kind = ErrorKind::Auth;
    error.hint = auth_hint(type, operation, code);
  } else if (code == "InvalidParameterException" || code == "ValidationException") {
    error.kind = ErrorKind::Usage;
    error.hint = "check the destination repository name (lower-case letters, digits, . _ - /)";
  } else if (code == "KmsException") {
    error.hint =
        "ECR could not use the KMS key: check --kms-key, and that the identity may use it "
        "(kms:CreateGrant, kms:RetireGrant, kms:DescribeKey)";
  } else if (code == "LimitExceededException") {
    error.hint =
        "an ECR service quota was reached (e.g. repositories per registry); raise it in "
        "Service Quotas or delete unused repositories";
  }
  return error;
}

Expected<AuthorizationToken> get_authorization_token(const EcrApiSettings& settings,
                                                     const AwsCredentials& credentials,
                                                     CallContext& context) {
  auto reply = ecr_call(settings, credentials, "GetAuthorizationToken", "{}", context);
  if (!reply) return reply.error();
  return token_from_reply(settings.type, *reply);
}

}  // namespace ecrm::aws
