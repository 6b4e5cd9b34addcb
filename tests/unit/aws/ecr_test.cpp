// ECR and ECR Public JSON 1.1 shapes as the services send them.
#include "aws/ecr.hpp"

#include <catch2/catch.hpp>

#include "aws/ecr_layers.hpp"
#include "aws/ecr_repository.hpp"
#include "fake_transport.hpp"
#include "util/base64.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

using namespace ecrm;
using aws::DestinationType;

namespace {

struct QuietLog {
  std::string out;
  QuietLog() { util::Log::get().set_sink_for_tests(&out); }
  ~QuietLog() { util::Log::get().set_sink_for_tests(nullptr); }
};

aws::AwsCredentials credentials() {
  aws::AwsCredentials c;
  c.access_key_id = "ASIAECRTEST";
  c.secret_access_key = "ecr-test-secret-key";
  c.session_token = "ecr-test-session-token";
  return c;
}

aws::EcrApiSettings public_settings() {
  return {DestinationType::EcrPublic, "https://api.ecr-public.us-east-1.amazonaws.com", "us-east-1",
          ""};
}
aws::EcrApiSettings private_settings() {
  return {DestinationType::Ecr, "http://127.0.0.1:9000", "eu-west-1", "123456789012"};
}

http::Headers error_type(std::string value) {
  http::Headers headers;
  headers.set("x-amzn-ErrorType", std::move(value));
  return headers;
}

}  // namespace

TEST_CASE("ECR targets and signing names", "[ecr]") {
  CHECK(aws::ecr_target(DestinationType::EcrPublic, "GetAuthorizationToken") ==
        "SpencerFrontendService.GetAuthorizationToken");
  CHECK(aws::ecr_target(DestinationType::Ecr, "CreateRepository") ==
        "AmazonEC2ContainerRegistry_V20150921.CreateRepository");
  CHECK(aws::ecr_signing_name(DestinationType::EcrPublic) == "ecr-public");
  CHECK(aws::ecr_signing_name(DestinationType::Ecr) == "ecr");
}

TEST_CASE("GetAuthorizationToken replies: public object, private array", "[ecr]") {
  QuietLog log;
  const std::string token = util::base64_encode("AWS:ecr-test-password-1");
  auto pub = aws::parse_authorization_token_reply(
      DestinationType::EcrPublic,
      R"({"authorizationData":{"authorizationToken":")" + token + R"(","expiresAt":1.7000432E9}})");
  REQUIRE(pub.ok());
  CHECK(pub->username == "AWS");
  CHECK(pub->password == "ecr-test-password-1");
  CHECK(std::chrono::system_clock::to_time_t(pub->expires_at) == 1700043200);
  CHECK(util::Log::get().redact(token + " ecr-test-password-1") == "*** ***");

  const std::string token2 = util::base64_encode("AWS:ecr-test-password-2");
  auto priv = aws::parse_authorization_token_reply(
      DestinationType::Ecr,
      R"({"authorizationData":[{"authorizationToken":")" + token2 +
          R"(","expiresAt":1700043200.512,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]})");
  REQUIRE(priv.ok());
  CHECK(priv->password == "ecr-test-password-2");
  CHECK(std::chrono::system_clock::to_time_t(priv->expires_at) == 1700043200);
  CHECK(priv->proxy_endpoint == "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com");

  // Integer seconds work too.
  auto whole = aws::parse_authorization_token_reply(
      DestinationType::EcrPublic,
      R"({"authorizationData":{"authorizationToken":")" + token + R"(","expiresAt":1700000000}})");
  REQUIRE(whole.ok());
  CHECK(std::chrono::system_clock::to_time_t(whole->expires_at) == 1700000000);
}

TEST_CASE("GetAuthorizationToken: malformed replies are integrity errors", "[ecr]") {
  QuietLog log;
  const std::string good = util::base64_encode("AWS:ecr-test-password-3");
  const std::pair<DestinationType, std::string> bad[] = {
      {DestinationType::EcrPublic, "not json"},
      {DestinationType::EcrPublic, "{}"},
      // The private shape (an array) is not the public one, and the other way round.
      {DestinationType::EcrPublic,
       R"({"authorizationData":[{"authorizationToken":")" + good + R"(","expiresAt":1}]})"},
      {DestinationType::Ecr,
       R"({"authorizationData":{"authorizationToken":")" + good + R"(","expiresAt":1}})"},
      {DestinationType::Ecr, R"({"authorizationData":[]})"},
      {DestinationType::EcrPublic,
       R"({"authorizationData":{"authorizationToken":"***notbase64***","expiresAt":1}})"},
      {DestinationType::EcrPublic, R"({"authorizationData":{"authorizationToken":")" +
                                       util::base64_encode("no-colon") + R"(","expiresAt":1}})"},
      {DestinationType::EcrPublic,
       R"({"authorizationData":{"authorizationToken":")" + good + R"("}})"},
  };
  for (const auto& [type, body] : bad) {
    INFO(body);
    auto result = aws::parse_authorization_token_reply(type, body);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Integrity);
    CHECK(result.error().message.find("ecr-test-password-3") == std::string::npos);
  }
}

TEST_CASE("ECR errors: code from header or __type, mapped to kinds", "[ecr]") {
  auto not_found = aws::ecr_error(
      DestinationType::Ecr, "DescribeRepositories", 400, {},
      R"({"__type":"RepositoryNotFoundException","message":"The repository with name 'app' does not exist in the registry with id '123456789012'"})");
  CHECK(not_found.kind == ErrorKind::NotFound);
  CHECK(not_found.code == "RepositoryNotFoundException");
  CHECK(not_found.message.find("does not exist") != std::string::npos);

  auto namespaced = aws::ecr_error(
      DestinationType::EcrPublic, "DescribeRepositories", 400, {},
      R"({"__type":"com.amazonaws.ecr.public#RepositoryNotFoundException","message":"x"})");
  CHECK(namespaced.code == "RepositoryNotFoundException");
  CHECK(namespaced.kind == ErrorKind::NotFound);

  auto header = aws::ecr_error(
      DestinationType::Ecr, "DescribeRepositories", 400,
      error_type("RepositoryNotFoundException:http://internal.amazon.com/coral/com.amazonaws.ecr/"),
      "");
  CHECK(header.code == "RepositoryNotFoundException");

  // A 5xx is a server that could not answer: retried, not taken as "the repository is missing".
  auto unavailable = aws::ecr_error(DestinationType::Ecr, "DescribeRepositories", 503, {},
                                    R"({"__type":"RepositoryNotFoundException"})");
  CHECK(unavailable.retryable);
  CHECK(unavailable.kind != ErrorKind::NotFound);

  auto denied = aws::ecr_error(
      DestinationType::EcrPublic, "GetAuthorizationToken", 400, {},
      R"({"__type":"AccessDeniedException","Message":"User is not authorized to perform: ecr-public:GetAuthorizationToken"})");
  CHECK(denied.kind == ErrorKind::Auth);
  CHECK_FALSE(denied.retryable);
  CHECK(denied.hint.find("ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken") !=
        std::string::npos);
  CHECK(denied.message.find("not authorized") != std::string::npos);

  auto signature = aws::ecr_error(DestinationType::Ecr, "CreateRepository", 403,
                                  error_type("InvalidSignatureException"), "{}");
  CHECK(signature.kind == ErrorKind::Auth);
  CHECK(signature.hint.find("signature") != std::string::npos);
  auto unknown = aws::ecr_error(DestinationType::Ecr, "GetAuthorizationToken", 403, {},
                                R"({"__type":"UnrecognizedClientException","message":"invalid"})");
  CHECK(unknown.kind == ErrorKind::Auth);
  CHECK(unknown.hint.find("AWS_SESSION_TOKEN") != std::string::npos);
  auto forbidden = aws::ecr_error(DestinationType::Ecr, "CreateRepository", 403, {}, "");
  CHECK(forbidden.kind == ErrorKind::Auth);
  CHECK(forbidden.hint.find("ecr:CreateRepository") != std::string::npos);

  for (auto [status, body] : {std::pair{400L, R"({"__type":"ThrottlingException"})"},
                              std::pair{500L, R"({"__type":"ServerException","message":"x"})"},
                              std::pair{502L, "<html>bad gateway</html>"}}) {
    INFO(body);
    auto error = aws::ecr_error(DestinationType::Ecr, "DescribeRepositories", status, {}, body);
    CHECK(error.retryable);
  }

  auto invalid = aws::ecr_error(DestinationType::Ecr, "CreateRepository", 400, {},
                                R"({"__type":"InvalidParameterException","message":"bad name"})");
  CHECK(invalid.kind == ErrorKind::Usage);
  auto other = aws::ecr_error(DestinationType::Ecr, "CreateRepository", 400, {},
                              R"({"__type":"LimitExceededException"})");
  CHECK(other.kind == ErrorKind::Registry);
  CHECK_FALSE(other.retryable);
  CHECK(other.hint.find("quota") != std::string::npos);
}

TEST_CASE("catalog data maps OCI platforms to ECR Public's names", "[ecr]") {
  std::vector<oci::Platform> platforms = {{"linux", "amd64", "", ""},
                                          {"linux", "arm64", "v8", ""},
                                          {"linux", "arm", "v7", ""},
                                          {"linux", "arm", "v6", ""},
                                          {"windows", "amd64", "", "10.0.17763.1"},
                                          {"unknown", "unknown", "", ""},
                                          {"linux", "s390x", "", ""}};
  auto catalog = aws::catalog_data_for(platforms, "docker.io/library/alpine:3.19");
  CHECK(catalog.description == "Mirror of docker.io/library/alpine:3.19");
  CHECK(catalog.architectures == std::vector<std::string>{"x86-64", "ARM 64", "ARM"});
  CHECK(catalog.operating_systems == std::vector<std::string>{"Linux", "Windows"});
  CHECK(aws::catalog_data_for({}, std::string(2000, 'x')).description.size() == 1024);
}

TEST_CASE("request bodies", "[ecr]") {
  CHECK(aws::describe_repositories_body(public_settings(), "app") ==
        R"({"repositoryNames":["app"]})");
  CHECK(aws::describe_repositories_body(private_settings(), "team/app") ==
        R"({"registryId":"123456789012","repositoryNames":["team/app"]})");
  auto no_account = private_settings();
  no_account.registry_id.clear();
  CHECK(aws::describe_repositories_body(no_account, "app") == R"({"repositoryNames":["app"]})");

  aws::CatalogData catalog{"Mirror of x", {"x86-64", "ARM 64"}, {"Linux"}, "", ""};
  CHECK(aws::create_repository_body(public_settings(), "app", {}, catalog) ==
        R"({"repositoryName":"app","catalogData":{"description":"Mirror of x",)"
        R"("architectures":["x86-64","ARM 64"],"operatingSystems":["Linux"]}})");
  CHECK(aws::create_repository_body(public_settings(), "app", {}, {"d", {}, {}, "", ""}) ==
        R"({"repositoryName":"app","catalogData":{"description":"d"}})");
  CHECK(
      aws::create_repository_body(private_settings(), "team/app", {}, catalog) ==
      R"({"registryId":"123456789012","repositoryName":"team/app","imageTagMutability":"MUTABLE",)"
      R"("imageScanningConfiguration":{"scanOnPush":true},)"
      R"("encryptionConfiguration":{"encryptionType":"AES256"}})");
}

TEST_CASE("GetAuthorizationToken call: signed JSON 1.1 POST", "[ecr]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(200, R"({"authorizationData":{"authorizationToken":")" +
                      util::base64_encode("AWS:ecr-test-password-4") +
                      R"(","expiresAt":1700043200}})");
  auto context = fake.context();
  auto token = aws::get_authorization_token(public_settings(), credentials(), context);
  REQUIRE(token.ok());
  CHECK(token->password == "ecr-test-password-4");
  REQUIRE(fake.requests.size() == 1);
  const auto& sent = fake.requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.url == "https://api.ecr-public.us-east-1.amazonaws.com/");
  CHECK(sent.body == "{}");
  CHECK(sent.headers.get("Content-Type") == "application/x-amz-json-1.1");
  CHECK(sent.headers.get("X-Amz-Target") == "SpencerFrontendService.GetAuthorizationToken");
  CHECK(sent.headers.get("X-Amz-Security-Token") == "ecr-test-session-token");
  CHECK(util::starts_with(sent.headers.get("Authorization").value_or(""),
                          "AWS4-HMAC-SHA256 Credential=ASIAECRTEST/20231114/us-east-1/ecr-public/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                          "x-amz-security-token;x-amz-target, Signature="));
}

TEST_CASE("describe_repository and create_repository", "[ecr]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(200,
             R"({"repositories":[{"repositoryName":"team/app","registryId":"123456789012"}]})");
  fake.reply(400, R"({"__type":"RepositoryNotFoundException","message":"nope"})");
  fake.reply(400, R"({"__type":"ThrottlingException","message":"slow down"})");
  fake.reply(200, R"({"repository":{"repositoryName":"team/app"}})");
  fake.reply(400, R"({"__type":"RepositoryAlreadyExistsException","message":"exists"})");
  fake.reply(400, R"({"__type":"AccessDeniedException","message":"no"})");
  auto context = fake.context();
  const auto settings = private_settings();

  auto exists = aws::describe_repository(settings, credentials(), "team/app", context);
  REQUIRE(exists.ok());
  REQUIRE(exists->has_value());
  CHECK((*exists)->tag_mutability == "MUTABLE");
  auto missing = aws::describe_repository(settings, credentials(), "team/app", context);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  // Throttled once, then created; the retry is signed anew.
  auto created = aws::create_repository(settings, credentials(), "team/app", {}, {}, context);
  REQUIRE(created.ok());
  CHECK(*created);
  CHECK(fake.sleeps.size() == 1);
  CHECK(fake.requests[3].headers.get("X-Amz-Target") ==
        "AmazonEC2ContainerRegistry_V20150921.CreateRepository");
  // Created meanwhile by someone else: fine.
  auto meanwhile = aws::create_repository(settings, credentials(), "team/app", {}, {}, context);
  REQUIRE(meanwhile.ok());
  CHECK_FALSE(*meanwhile);
  auto denied = aws::create_repository(settings, credentials(), "team/app", {}, {}, context);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().kind == ErrorKind::Auth);
  CHECK(fake.requests.size() == 6);
  for (const auto& request : fake.requests) CHECK(request.url == "http://127.0.0.1:9000/");
}

TEST_CASE("ECR wildcard filters and immutable tags", "[ecr]") {
  CHECK(aws::wildcard_match("noble", "noble"));
  CHECK_FALSE(aws::wildcard_match("noble", "noble-1"));
  CHECK(aws::wildcard_match("noble*", "noble-3dcb059253b2"));
  CHECK(aws::wildcard_match("*-dev", "feature-dev"));
  CHECK(aws::wildcard_match("a*b*c", "aXbYbZc"));
  CHECK_FALSE(aws::wildcard_match("a*b*c", "aXbYbZ"));
  CHECK(aws::wildcard_match("*", ""));
  CHECK(aws::wildcard_match(std::string(40, '*') + "x", std::string(5000, 'a') + "x"));
  aws::RepositoryInfo info{"IMMUTABLE_WITH_EXCLUSION", {"noble", "dev-*"}};
  CHECK(aws::immutable_among(info, {"noble", "noble-abc", "dev-1"}) ==
        std::vector<std::string>{"noble-abc"});
  info.tag_mutability = "MUTABLE_WITH_EXCLUSION";
  CHECK(aws::immutable_among(info, {"noble", "noble-abc", "dev-1"}) ==
        std::vector<std::string>{"noble", "dev-1"});
  info.tag_mutability = "IMMUTABLE";
  CHECK(aws::immutable_among(info, {"noble"}) == std::vector<std::string>{"noble"});
  info.tag_mutability = "MUTABLE";
  CHECK(aws::immutable_among(info, {"noble"}).empty());
}

TEST_CASE("BatchCheckLayerAvailability: 100 digests a call", "[ecr]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  std::vector<std::string> digests;
  for (int i = 0; i < 250; ++i) digests.push_back("sha256:" + std::to_string(i));
  for (int call = 0; call < 3; ++call) {
    std::string layers;
    for (int i = call * 100; i < std::min(250, call * 100 + 100); ++i)
      layers += std::string(layers.empty() ? "" : ",") + R"({"layerDigest":"sha256:)" +
                std::to_string(i) + R"(","layerAvailability":")" +
                (i % 2 == 0 ? "AVAILABLE" : "UNAVAILABLE") + "\"}";
    fake.reply(200, R"({"layers":[)" + layers + "]}");
  }
  auto context = fake.context();
  auto answer = aws::batch_check_layer_availability(private_settings(), credentials(), "team/app",
                                                    digests, context);
  REQUIRE(answer.ok());
  REQUIRE(answer->size() == 250);
  for (int i = 0; i < 250; ++i) CHECK((*answer)[i] == std::optional<bool>(i % 2 == 0));
  REQUIRE(fake.requests.size() == 3);
  auto first = util::Json::parse(fake.requests[0].body);
  REQUIRE(first.ok());
  CHECK(first->get_string("registryId") == "123456789012");
  CHECK(first->find("layerDigests")->items().size() == 100);
  CHECK(util::Json::parse(fake.requests[2].body)->find("layerDigests")->items().size() == 50);
}

TEST_CASE("DescribeRepositories replies: the named repository's tag mutability", "[ecr]") {
  auto reply = util::Json::parse(
      R"({"repositories":[{"repositoryName":"other","imageTagMutability":"IMMUTABLE"},)"
      R"({"repositoryName":"team/app","imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",)"
      R"("imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"noble"},)"
      R"({"filterType":"REGEX","filter":".*"}]}]})");
  REQUIRE(reply.ok());
  auto info = aws::repository_info_from_reply(*reply, "team/app", false);
  REQUIRE(info.has_value());
  CHECK(info->tag_mutability == "IMMUTABLE_WITH_EXCLUSION");
  CHECK(info->exclusion_filters == std::vector<std::string>{"noble"});  // only WILDCARD is known
  CHECK_FALSE(aws::repository_info_from_reply(*reply, "missing", false).has_value());
  // ECR Public repositories have no tag mutability: always mutable, whatever a reply says.
  CHECK(aws::repository_info_from_reply(*reply, "other", true)->tag_mutability == "MUTABLE");
  auto empty = util::Json::parse(R"({"repositories":"nope"})");
  CHECK_FALSE(aws::repository_info_from_reply(*empty, "team/app", false).has_value());
}
