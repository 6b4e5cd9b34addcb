#include "aws/endpoints.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace ecrm;

namespace {

util::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

name::Repository repo(std::string registry, std::string path = "team/app") {
  return name::Repository{std::move(registry), std::move(path)};
}

}  // namespace

TEST_CASE("auto detects ECR Public, private ECR and other registries", "[endpoints]") {
  auto pub = aws::detect_destination("auto", repo("public.ecr.aws", "alias/app"), "eu-west-1");
  REQUIRE(pub.ok());
  CHECK(pub->type == aws::DestinationType::EcrPublic);
  CHECK(pub->region == "us-east-1");  // ECR Public's API lives only there

  auto priv = aws::detect_destination("auto", repo("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
                                      "us-east-1");
  REQUIRE(priv.ok());
  CHECK(priv->type == aws::DestinationType::Ecr);
  CHECK(priv->region == "eu-west-1");
  CHECK(priv->account_id == "123456789012");
  CHECK_FALSE(priv->fips);

  auto fips = aws::detect_destination(
      "auto", repo("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"), "us-east-1");
  REQUIRE(fips.ok());
  CHECK(fips->type == aws::DestinationType::Ecr);
  CHECK(fips->fips);
  CHECK(fips->region == "us-gov-west-1");

  auto china = aws::detect_destination(
      "auto", repo("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"), "us-east-1");
  REQUIRE(china.ok());
  CHECK(china->type == aws::DestinationType::Ecr);
  CHECK(china->dns_suffix == "amazonaws.com.cn");

  for (const char* host : {"ghcr.io", "127.0.0.1:5000", "registry-1.docker.io",
                           "12345678901.dkr.ecr.us-east-1.amazonaws.com",    // 11 digits
                           "1234567890123.dkr.ecr.us-east-1.amazonaws.com",  // 13 digits
                           "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io",
                           "123456789012.dkr.ecr.us-east-1.example.com", "ecr.public.aws",
                           "public.ecr.aws.evil.io", "123456789012.dkr.ecr..amazonaws.com"}) {
    INFO(host);
    auto other = aws::detect_destination("auto", repo(host), "us-east-1");
    REQUIRE(other.ok());
    CHECK(other->type == aws::DestinationType::Registry);
  }
}

TEST_CASE("an explicit destination type wins over the host", "[endpoints]") {
  auto pub =
      aws::detect_destination("ecr-public", repo("127.0.0.1:5000", "alias/app"), "eu-west-1");
  REQUIRE(pub.ok());
  CHECK(pub->type == aws::DestinationType::EcrPublic);
  CHECK(pub->region == "us-east-1");

  auto priv = aws::detect_destination("ecr", repo("127.0.0.1:5000"), "eu-central-1");
  REQUIRE(priv.ok());
  CHECK(priv->type == aws::DestinationType::Ecr);
  CHECK(priv->region == "eu-central-1");
  CHECK(priv->account_id.empty());

  auto registry = aws::detect_destination("registry", repo("public.ecr.aws"), "us-east-1");
  REQUIRE(registry.ok());
  CHECK(registry->type == aws::DestinationType::Registry);

  auto bad = aws::detect_destination("ecr-private", repo("ghcr.io"), "us-east-1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Usage);
  CHECK(bad.error().message.find("ecr-private") != std::string::npos);
}

TEST_CASE("to_string names each type", "[endpoints]") {
  CHECK(aws::to_string(aws::DestinationType::EcrPublic) == "ecr-public");
  CHECK(aws::to_string(aws::DestinationType::Ecr) == "ecr");
  CHECK(aws::to_string(aws::DestinationType::Registry) == "registry");
}

TEST_CASE("default endpoints", "[endpoints]") {
  aws::Destination ecr{aws::DestinationType::Ecr, "eu-west-1", "123456789012"};
  auto endpoints = aws::resolve_endpoints(env_of({}), "eu-north-1", ecr);
  REQUIRE(endpoints.ok());
  CHECK(endpoints->sts == "https://sts.eu-north-1.amazonaws.com");
  CHECK(endpoints->ecr_public == "https://api.ecr-public.us-east-1.amazonaws.com");
  CHECK(endpoints->ecr == "https://api.ecr.eu-west-1.amazonaws.com");

  aws::Destination fips{aws::DestinationType::Ecr, "us-gov-west-1", "123456789012", true};
  CHECK(aws::resolve_endpoints(env_of({}), "us-gov-west-1", fips)->ecr ==
        "https://ecr-fips.us-gov-west-1.amazonaws.com");

  aws::Destination china{aws::DestinationType::Ecr, "cn-north-1", "123456789012", false,
                         "amazonaws.com.cn"};
  auto cn = aws::resolve_endpoints(env_of({}), "cn-north-1", china);
  CHECK(cn->sts == "https://sts.cn-north-1.amazonaws.com.cn");
  CHECK(cn->ecr == "https://api.ecr.cn-north-1.amazonaws.com.cn");
}

TEST_CASE("endpoint overrides: service-specific first, then AWS_ENDPOINT_URL", "[endpoints]") {
  aws::Destination ecr{aws::DestinationType::Ecr, "eu-west-1", "123456789012"};
  auto general = aws::resolve_endpoints(env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"}}),
                                        "us-east-1", ecr);
  REQUIRE(general.ok());
  CHECK(general->sts == "http://127.0.0.1:9000");
  CHECK(general->ecr_public == "http://127.0.0.1:9000");
  CHECK(general->ecr == "http://127.0.0.1:9000");

  auto specific = aws::resolve_endpoints(
      env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"},
              {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9001"},
              {"AWS_ENDPOINT_URL_ECR_PUBLIC", "http://127.0.0.1:9002"},
              {"AWS_ENDPOINT_URL_ECR", "https://vpce-1.api.ecr.eu-west-1.vpce.amazonaws.com"}}),
      "us-east-1", ecr);
  REQUIRE(specific.ok());
  CHECK(specific->sts == "http://127.0.0.1:9001");
  CHECK(specific->ecr_public == "http://127.0.0.1:9002");
  CHECK(specific->ecr == "https://vpce-1.api.ecr.eu-west-1.vpce.amazonaws.com");
}

TEST_CASE("a malformed endpoint override is a usage error naming the variable", "[endpoints]") {
  aws::Destination none;
  for (const char* value : {"sts.example.com", "ftp://127.0.0.1", "http://127.0.0.1:1/?x=1"}) {
    INFO(value);
    auto result =
        aws::resolve_endpoints(env_of({{"AWS_ENDPOINT_URL_STS", value}}), "us-east-1", none);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Usage);
    CHECK(result.error().message.find("AWS_ENDPOINT_URL_STS") != std::string::npos);
  }
}
