#pragma once
// The ECR Public and private ECR APIs the mirror needs, in AWS JSON 1.1 signed with SigV4 (ECR API
// reference; ECR Public API reference): the call itself, errors and GetAuthorizationToken. The
// repository calls are in ecr_repository.hpp, the layer check in ecr_layers.hpp.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "http/client.hpp"
#include "util/expected.hpp"
#include "util/json.hpp"

namespace ecrm::aws {

struct EcrApiSettings {
  DestinationType type = DestinationType::EcrPublic;  // EcrPublic or Ecr
  std::string endpoint;     // "https://api.ecr-public.us-east-1.amazonaws.com", no trailing slash
  std::string region;       // the signing region: always us-east-1 for ECR Public
  std::string registry_id;  // private ECR: the account id; empty lets AWS use the caller's
};

// "SpencerFrontendService.<operation>" (ECR Public) or
// "AmazonEC2ContainerRegistry_V20150921.<operation>" (ECR).
std::string ecr_target(DestinationType type, std::string_view operation);
// "ecr-public" or "ecr".
std::string ecr_signing_name(DestinationType type);

struct AuthorizationToken {
  std::string username;  // "AWS"
  std::string password;  // a secret
  std::chrono::system_clock::time_point expires_at;
  std::string proxy_endpoint;  // private ECR: "https://<account>.dkr.ecr.<region>.amazonaws.com"
};

// ECR Public: {"authorizationData":{"authorizationToken","expiresAt"}}; ECR:
// {"authorizationData":[{"authorizationToken","expiresAt","proxyEndpoint"}]}. expiresAt is epoch
// seconds, possibly fractional. The token is base64 of "AWS:<password>"; the token and the
// password are registered as secrets before anything can fail.
Expected<AuthorizationToken> parse_authorization_token_reply(DestinationType type,
                                                             std::string_view body);

// The error for a non-2xx JSON 1.1 reply. The code comes from the x-amzn-ErrorType header or the
// body's "__type" ("com.amazonaws.ecr#RepositoryNotFoundException" → the part after '#').
// RepositoryNotFoundException → NotFound; access and signature errors → Auth naming the IAM
// action; throttling and 5xx → retryable.
Error ecr_error(DestinationType type, std::string_view operation, long status,
                const http::Headers& headers, std::string_view body);

// The calls themselves, retried as the AWS SDKs do (throttling, 5xx, transport failures).
Expected<AuthorizationToken> get_authorization_token(const EcrApiSettings& settings,
                                                     const AwsCredentials& credentials,
                                                     CallContext& context);
// One signed JSON 1.1 call to `operation` with `body`, retried as the AWS SDKs retry. The parsed
// reply of a 2xx; otherwise ecr_error's Error.
Expected<util::Json> ecr_call(const EcrApiSettings& settings, const AwsCredentials& credentials,
                              std::string_view operation, const std::string& body,
                              CallContext& context);

}  // namespace ecrm::aws
