#include "aws/session.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "aws/ecr_layers.hpp"
#include "aws/provider.hpp"
#include "fake_transport.hpp"
#include "util/json.hpp"
#include "util/log.hpp"

using namespace ecrm;

namespace {

struct QuietLog {
  std::string out;
  QuietLog() { util::Log::get().set_sink_for_tests(&out); }
  ~QuietLog() { util::Log::get().set_sink_for_tests(nullptr); }
};

util::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// The destination and the spec of one run.
struct Run {
  name::Repository destination;
  aws::AwsSpec spec;
};

Run options_for(std::string registry, std::string path, std::string type = "auto") {
  Run run;
  run.destination = name::Repository{std::move(registry), std::move(path)};
  run.spec.destination_type = std::move(type);
  run.spec.source_ref = "registry-1.docker.io/library/alpine:3.19";
  return run;
}

struct EcrFixture {
  aws::testing::FakeAws fake;
  std::shared_ptr<aws::EcrCredentialProvider> provider;
  explicit EcrFixture(aws::DestinationType type) {
    auto cache = std::make_shared<aws::CredentialCache>(
        aws::CredentialSettings{},
        env_of({{"AWS_ACCESS_KEY_ID", "AKIASESSION"}, {"AWS_SECRET_ACCESS_KEY", "session-sk"}}),
        fake.context());
    aws::EcrApiSettings settings{type, "http://127.0.0.1:9", "eu-west-1",
                                 type == aws::DestinationType::Ecr ? "123456789012" : ""};
    provider = std::make_shared<aws::EcrCredentialProvider>(settings, cache, fake.context());
  }
  Status ensure(const Run& run, std::vector<std::string> tags_to_move = {}) {
    auto context = fake.context();
    auto name = aws::ecr_repository_name(provider->settings().type, run.destination);
    REQUIRE(name.ok());
    aws::PlannedWrite plan{{{"linux", "amd64", "", ""}, {"linux", "arm64", "v8", ""}},
                           std::move(tags_to_move)};
    return aws::prepare_ecr_repository(*provider, *name, run.spec, plan, context);
  }
};

const char* const kNotFound =
    R"({"__type":"RepositoryNotFoundException","message":"The repository does not exist"})";

}  // namespace

TEST_CASE("ECR repository names", "[session]") {
  CHECK(*aws::ecr_repository_name(aws::DestinationType::EcrPublic,
                                  {"public.ecr.aws", "g0u3p4x2/caylent-solutions/devcontainer"}) ==
        "caylent-solutions/devcontainer");
  CHECK(*aws::ecr_repository_name(aws::DestinationType::EcrPublic,
                                  {"127.0.0.1:5000", "alias/app"}) == "app");
  CHECK(*aws::ecr_repository_name(aws::DestinationType::Ecr,
                                  {"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app"}) ==
        "team/app");
  auto alias_only =
      aws::ecr_repository_name(aws::DestinationType::EcrPublic, {"public.ecr.aws", "alias"});
  REQUIRE_FALSE(alias_only.ok());
  CHECK(alias_only.error().kind == ErrorKind::Usage);
}

TEST_CASE("a plain registry needs nothing from AWS", "[session]") {
  for (auto [registry, type] : {std::pair{"ghcr.io", "auto"}, std::pair{"127.0.0.1:5000", "auto"},
                                std::pair{"public.ecr.aws", "registry"}}) {
    INFO(registry << " " << type);
    auto options = options_for(registry, "alias/app", type);
    // No credentials in the environment, no network: both would fail an ECR setup.
    auto setup = aws::setup_destination_auth(options.spec, options.destination, env_of({}), {});
    REQUIRE(setup.ok());
    CHECK(setup->destination_type == "registry");
    CHECK_FALSE(setup->provider);
    CHECK(aws::prepare_repository(*setup, options.spec, {}, {}).ok());
    CHECK_FALSE(aws::layer_presence(*setup, {}));
  }
}

TEST_CASE("ECR setup fails early on what it can check locally", "[session]") {
  QuietLog log;
  auto options = options_for("public.ecr.aws", "alias/app");
  auto none = aws::setup_destination_auth(options.spec, options.destination, env_of({}), {});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::Auth);

  options.spec.role_to_assume = "arn:aws:iam::123456789012:role/r";
  auto no_oidc = aws::setup_destination_auth(options.spec, options.destination, env_of({}), {});
  REQUIRE_FALSE(no_oidc.ok());
  CHECK(no_oidc.error().hint.find("id-token: write") != std::string::npos);

  auto alias_only = options_for("public.ecr.aws", "alias");
  auto bad_name =
      aws::setup_destination_auth(alias_only.spec, alias_only.destination, env_of({}), {});
  REQUIRE_FALSE(bad_name.ok());
  CHECK(bad_name.error().kind == ErrorKind::Usage);

  auto bad_endpoint = aws::setup_destination_auth(options.spec, options.destination,
                                                  env_of({{"AWS_ENDPOINT_URL", "not-a-url"}}), {});
  REQUIRE_FALSE(bad_endpoint.ok());
  CHECK(bad_endpoint.error().kind == ErrorKind::Usage);

  auto bad_type = options_for("ghcr.io", "a/b", "s3");
  CHECK(aws::setup_destination_auth(bad_type.spec, bad_type.destination, env_of({}), {})
            .error()
            .kind == ErrorKind::Usage);
}

TEST_CASE("prepare_repository: an existing repository is left alone", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::Ecr);
  ecr.fake.reply(200, R"({"repositories":[{"repositoryName":"team/app"}]})");
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  CHECK(ecr.ensure(options).ok());
  REQUIRE(ecr.fake.requests.size() == 1);
  CHECK(ecr.fake.requests[0].body ==
        R"({"registryId":"123456789012","repositoryNames":["team/app"]})");
}

TEST_CASE("prepare_repository: missing without --create-repository names the flag", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::EcrPublic);
  ecr.fake.reply(400, kNotFound);
  auto options = options_for("public.ecr.aws", "alias/app");
  auto status = ecr.ensure(options);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::NotFound);
  CHECK(status.error().message.find("app") != std::string::npos);
  CHECK(status.error().hint.find("--create-repository") != std::string::npos);
  CHECK(ecr.fake.requests.size() == 1);
}

TEST_CASE("prepare_repository: missing with --create-repository creates it", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::EcrPublic);
  ecr.fake.reply(400, kNotFound);
  ecr.fake.reply(200, R"({"repository":{"repositoryName":"app"},"catalogData":{}})");
  auto options = options_for("public.ecr.aws", "alias/app");
  options.spec.repository.create = true;
  REQUIRE(ecr.ensure(options).ok());
  REQUIRE(ecr.fake.requests.size() == 2);
  CHECK(ecr.fake.requests[1].headers.get("X-Amz-Target") ==
        "SpencerFrontendService.CreateRepository");
  auto body = util::Json::parse(ecr.fake.requests[1].body);
  REQUIRE(body.ok());
  CHECK(body->get_string("repositoryName") == "app");
  const auto* catalog = body->find("catalogData");
  REQUIRE(catalog);
  CHECK(catalog->get_string("description") == "Mirror of registry-1.docker.io/library/alpine:3.19");
  CHECK(catalog->find("architectures")->dump() == R"(["x86-64","ARM 64"])");
  CHECK(catalog->find("operatingSystems")->dump() == R"(["Linux"])");
  // Compared through redact(): other tests in this binary may have registered short secrets.
  CHECK(log.out.find(util::Log::get().redact("Created repository app in ECR Public")) !=
        std::string::npos);
}

TEST_CASE("prepare_repository: private ECR creation settings", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::Ecr);
  ecr.fake.reply(400, kNotFound);
  ecr.fake.reply(200, R"({"repository":{"repositoryName":"team/app"}})");
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  options.spec.repository.create = true;
  REQUIRE(ecr.ensure(options).ok());
  REQUIRE(ecr.fake.requests.size() == 2);
  auto body = util::Json::parse(ecr.fake.requests[1].body);
  REQUIRE(body.ok());
  CHECK(body->get_string("registryId") == "123456789012");
  CHECK(body->get_string("imageTagMutability") == "MUTABLE");
  CHECK(body->find("imageScanningConfiguration")->dump() == R"({"scanOnPush":true})");
  CHECK(body->find("encryptionConfiguration")->dump() == R"({"encryptionType":"AES256"})");
}

TEST_CASE("prepare_repository: a dry run does not create", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::Ecr);
  ecr.fake.reply(400, kNotFound);
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  options.spec.repository.create = true;
  options.spec.dry_run = true;
  CHECK(ecr.ensure(options).ok());
  CHECK(ecr.fake.requests.size() == 1);
}

TEST_CASE("prepare_repository: DescribeRepositories denied", "[session]") {
  QuietLog log;
  const char* denied = R"({"__type":"AccessDeniedException","message":"not authorized"})";
  auto options = options_for("public.ecr.aws", "alias/app");
  {
    // Least privilege without --create-repository: not an error, the push will tell.
    EcrFixture ecr(aws::DestinationType::EcrPublic);
    ecr.fake.reply(400, denied);
    CHECK(ecr.ensure(options).ok());
  }
  {
    EcrFixture ecr(aws::DestinationType::EcrPublic);
    ecr.fake.reply(400, denied);
    options.spec.repository.create = true;
    auto status = ecr.ensure(options);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::Auth);
    CHECK(status.error().hint.find("ecr-public:DescribeRepositories") != std::string::npos);
  }
}

TEST_CASE("prepare_repository: creation with every private ECR setting, then the policy",
          "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::Ecr);
  ecr.fake.reply(400, kNotFound);
  ecr.fake.reply(200, R"({"repository":{"repositoryName":"team/app"}})");
  ecr.fake.reply(200, R"({"repositoryName":"team/app","lifecyclePolicyText":"{}"})");
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  auto& wanted = options.spec.repository;
  wanted.create = true;
  wanted.tag_mutability = "IMMUTABLE_WITH_EXCLUSION";
  wanted.mutability_exclusions = {"noble", "latest*"};
  wanted.encryption = "KMS";
  wanted.kms_key = "alias/mirror";
  wanted.scan_on_push = false;
  wanted.resource_tags = {{"team", "platform"}, {"cost-center", ""}};
  wanted.lifecycle_policy = R"({"rules":[]})";
  REQUIRE(ecr.ensure(options).ok());
  REQUIRE(ecr.fake.requests.size() == 3);
  auto body = util::Json::parse(ecr.fake.requests[1].body);
  REQUIRE(body.ok());
  CHECK(body->get_string("imageTagMutability") == "IMMUTABLE_WITH_EXCLUSION");
  CHECK(
      body->find("imageTagMutabilityExclusionFilters")->dump() ==
      R"([{"filterType":"WILDCARD","filter":"noble"},{"filterType":"WILDCARD","filter":"latest*"}])");
  CHECK(body->find("imageScanningConfiguration")->dump() == R"({"scanOnPush":false})");
  CHECK(body->find("encryptionConfiguration")->dump() ==
        R"({"encryptionType":"KMS","kmsKey":"alias/mirror"})");
  CHECK(body->find("tags")->dump() ==
        R"([{"Key":"team","Value":"platform"},{"Key":"cost-center","Value":""}])");
  CHECK(ecr.fake.requests[2].headers.get("X-Amz-Target") ==
        "AmazonEC2ContainerRegistry_V20150921.PutLifecyclePolicy");
  CHECK(
      ecr.fake.requests[2].body ==
      R"({"registryId":"123456789012","repositoryName":"team/app","lifecyclePolicyText":"{\"rules\":[]}"})");
}

TEST_CASE("prepare_repository: created meanwhile by someone else keeps its settings", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::Ecr);
  ecr.fake.reply(400, kNotFound);
  ecr.fake.reply(400, R"({"__type":"RepositoryAlreadyExistsException","message":"exists"})");
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  options.spec.repository.create = true;
  options.spec.repository.lifecycle_policy = R"({"rules":[]})";
  REQUIRE(ecr.ensure(options).ok());
  CHECK(ecr.fake.requests.size() == 2);  // no PutLifecyclePolicy on someone else's repository
}

TEST_CASE("prepare_repository: an immutable tag that would move stops the run first", "[session]") {
  QuietLog log;
  auto options = options_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/app");
  struct Case {
    const char* repository;
    std::vector<std::string> moving;
    bool refused;
  };
  const Case cases[] = {
      {R"({"repositoryName":"team/app","imageTagMutability":"IMMUTABLE"})", {"noble"}, true},
      {R"({"repositoryName":"team/app","imageTagMutability":"IMMUTABLE"})", {}, false},
      {R"({"repositoryName":"team/app","imageTagMutability":"MUTABLE"})", {"noble"}, false},
      {R"({"repositoryName":"team/app","imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",)"
       R"("imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"nob*"}]})",
       {"noble"},
       false},
      {R"({"repositoryName":"team/app","imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",)"
       R"("imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"latest"}]})",
       {"noble"},
       true},
      {R"({"repositoryName":"team/app","imageTagMutability":"MUTABLE_WITH_EXCLUSION",)"
       R"("imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"noble"}]})",
       {"noble"},
       true},
  };
  for (const auto& c : cases) {
    INFO(c.repository);
    EcrFixture ecr(aws::DestinationType::Ecr);
    ecr.fake.reply(200, std::string(R"({"repositories":[)") + c.repository + "]}");
    auto status = ecr.ensure(options, c.moving);
    CHECK(status.ok() == !c.refused);
    if (!status) {
      CHECK(status.error().kind == ErrorKind::Registry);
      CHECK(status.error().message.find("noble") != std::string::npos);
      CHECK(status.error().message.find("Nothing was written") != std::string::npos);
      CHECK(status.error().hint.find("filter=noble") != std::string::npos);
      CHECK(status.error().hint.find("{digest12}") != std::string::npos);
    }
    CHECK(ecr.fake.requests.size() == 1);
  }
}

TEST_CASE("ECR Public refuses settings it does not have, before any AWS call", "[session]") {
  QuietLog log;
  auto options = options_for("public.ecr.aws", "alias/app");
  options.spec.repository.tag_mutability = "IMMUTABLE";
  auto setup = aws::setup_destination_auth(options.spec, options.destination, env_of({}), {});
  REQUIRE_FALSE(setup.ok());
  CHECK(setup.error().kind == ErrorKind::Usage);
  CHECK(setup.error().message.find("--image-tag-mutability") != std::string::npos);
}

TEST_CASE("layer presence answers through BatchCheckLayerAvailability", "[session]") {
  QuietLog log;
  EcrFixture ecr(aws::DestinationType::EcrPublic);
  ecr.fake.reply(200,
                 R"({"layers":[{"layerDigest":"sha256:a","layerAvailability":"AVAILABLE"},)"
                 R"({"layerDigest":"sha256:b","layerAvailability":"UNAVAILABLE"}],)"
                 R"("failures":[{"layerDigest":"sha256:c","failureCode":"MissingLayerDigest"}]})");
  auto context = ecr.fake.context();
  auto credentials = ecr.provider->aws_credentials();
  REQUIRE(credentials.ok());
  auto answer = aws::batch_check_layer_availability(ecr.provider->settings(), *credentials, "app",
                                                    {"sha256:a", "sha256:b", "sha256:c"}, context);
  REQUIRE(answer.ok());
  REQUIRE(answer->size() == 3);
  CHECK((*answer)[0] == std::optional<bool>(true));
  CHECK((*answer)[1] == std::optional<bool>(false));
  CHECK_FALSE((*answer)[2].has_value());
  CHECK(ecr.fake.requests.back().headers.get("X-Amz-Target") ==
        "SpencerFrontendService.BatchCheckLayerAvailability");
}
