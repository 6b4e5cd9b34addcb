#pragma once
// The ECR Public and private ECR APIs the mirror needs, in AWS JSON 1.1 signed with SigV4 (ECR API
// reference; ECR Public API reference): GetAuthorizationToken, DescribeRepositories,
// CreateRepository.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "http/client.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

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

struct CatalogData {
  std::string description;
  std::vector<std::string> architectures;      // ECR Public names: "x86-64", "ARM 64", "ARM", "x86"
  std::vector<std::string> operating_systems;  // "Linux", "Windows"
};
// What an ECR Public repository's catalog says about a mirror of `source_ref` holding `platforms`
// (OCI names, e.g. linux/amd64); platforms ECR Public has no name for are left out.
CatalogData catalog_data_for(const std::vector<oci::Platform>& platforms,
                             std::string_view source_ref);

std::string describe_repositories_body(const EcrApiSettings& settings, std::string_view name);
std::string create_repository_body(const EcrApiSettings& settings, std::string_view name,
                                   const CatalogData& catalog);

// The calls themselves, retried as the AWS SDKs do (throttling, 5xx, transport failures).
Expected<AuthorizationToken> get_authorization_token(const EcrApiSettings& settings,
                                                     const AwsCredentials& credentials,
                                                     CallContext& context);
// False when the repository does not exist (RepositoryNotFoundException).
Expected<bool> repository_exists(const EcrApiSettings& settings, const AwsCredentials& credentials,
                                 std::string_view name, CallContext& context);
// A repository created meanwhile by someone else (RepositoryAlreadyExistsException) is success.
Status create_repository(const EcrApiSettings& settings, const AwsCredentials& credentials,
                         std::string_view name, const CatalogData& catalog, CallContext& context);

}  // namespace ecrm::aws
