#include "aws/provider.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "fake_transport.hpp"
#include "util/base64.hpp"
#include "util/log.hpp"

using namespace ecrm;
using namespace std::chrono_literals;

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

util::EnvLookup static_keys() {
  return env_of(
      {{"AWS_ACCESS_KEY_ID", "AKIAPROVIDER"}, {"AWS_SECRET_ACCESS_KEY", "provider-test-secret"}});
}

std::string token_reply(const std::string& password, std::int64_t expires_at) {
  return R"({"authorizationData":{"authorizationToken":")" +
         util::base64_encode("AWS:" + password) + R"(","expiresAt":)" + std::to_string(expires_at) +
         "}}";
}

std::int64_t seconds_of(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

aws::EcrApiSettings public_settings() {
  return {aws::DestinationType::EcrPublic, "http://127.0.0.1:9", "us-east-1", ""};
}

}  // namespace

TEST_CASE("provider: the token is cached until 5 minutes before it expires", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  const auto start = fake.now;
  fake.reply(200, token_reply("provider-pw-1", seconds_of(start + 12h)));
  fake.reply(200, token_reply("provider-pw-2", seconds_of(start + 24h)));
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());

  auto first = provider.credential(false);
  REQUIRE(first.ok());
  CHECK(first->username == "AWS");
  CHECK(first->password == "provider-pw-1");
  fake.now = start + 11h + 54min;
  CHECK(provider.credential(false)->password == "provider-pw-1");
  CHECK(fake.requests.size() == 1);

  fake.now = start + 11h + 56min;  // within 5 minutes of expiry: a run outliving the token
  CHECK(provider.credential(false)->password == "provider-pw-2");
  CHECK(fake.requests.size() == 2);
}

TEST_CASE("provider: refresh=true fetches a new token", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(200, token_reply("provider-pw-3", seconds_of(fake.now + 12h)));
  fake.reply(200, token_reply("provider-pw-4", seconds_of(fake.now + 12h)));
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  CHECK(provider.credential(false)->password == "provider-pw-3");
  CHECK(provider.credential(true)->password == "provider-pw-4");
  CHECK(fake.requests.size() == 2);
}

TEST_CASE("provider: a short-lived token is renewed halfway through its life", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  const auto start = fake.now;
  fake.reply(200, token_reply("provider-pw-5", seconds_of(start + 120s)));
  fake.reply(200, token_reply("provider-pw-6", seconds_of(start + 240s)));
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  CHECK(provider.credential(false)->password == "provider-pw-5");
  fake.now = start + 59s;
  CHECK(provider.credential(false)->password == "provider-pw-5");
  fake.now = start + 61s;
  CHECK(provider.credential(false)->password == "provider-pw-6");
}

TEST_CASE("provider: rejected AWS credentials are fetched again once", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  auto env = env_of({{"ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token"},
                     {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "provider-request-token"}});
  auto sts_reply = [](const std::string& n) {
    return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
           "<SessionToken>provider-st-" +
           n + "</SessionToken><SecretAccessKey>provider-sk-" + n +
           "</SecretAccessKey><Expiration>2023-11-15T22:13:20Z</Expiration><AccessKeyId>ASIA" + n +
           "</AccessKeyId></Credentials>"
           "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
  };
  fake.reply(200, R"({"value":"provider-jwt-1"})");
  fake.reply(200, sts_reply("1"));
  fake.reply(
      400,
      R"({"__type":"ExpiredTokenException","message":"The security token included in the request is expired"})");
  fake.reply(200, R"({"value":"provider-jwt-2"})");
  fake.reply(200, sts_reply("2"));
  fake.reply(200, token_reply("provider-pw-7", seconds_of(fake.now + 12h)));
  aws::CredentialSettings settings;
  settings.role_to_assume = "arn:aws:iam::123456789012:role/r";
  settings.sts_endpoint = "http://127.0.0.1:9";
  auto cache = std::make_shared<aws::CredentialCache>(settings, env, fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  auto credential = provider.credential(false);
  REQUIRE(credential.ok());
  CHECK(credential->password == "provider-pw-7");
  REQUIRE(fake.requests.size() == 6);
  CHECK(fake.requests[5].headers.get("X-Amz-Security-Token") == "provider-st-2");
}

TEST_CASE("provider: permission errors are returned, not retried", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(400, R"({"__type":"AccessDeniedException","message":"not authorized"})");
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  auto credential = provider.credential(false);
  REQUIRE_FALSE(credential.ok());
  CHECK(credential.error().kind == ErrorKind::Auth);
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("provider: concurrent callers share one fetch", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(200, token_reply("provider-pw-8", seconds_of(fake.now + 12h)));
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  std::vector<std::thread> workers;
  std::atomic<int> good{0};
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        auto credential = provider.credential(false);
        if (credential && credential->password == "provider-pw-8") ++good;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(good == 400);
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("credential cache: STS credentials are renewed before they expire", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  auto env = env_of({{"ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token"},
                     {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "cache-request-token"}});
  auto sts_reply = [](const std::string& n, const std::string& expiration) {
    return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
           "<SessionToken>cache-st-" +
           n + "</SessionToken><SecretAccessKey>cache-sk-" + n + "</SecretAccessKey><Expiration>" +
           expiration + "</Expiration><AccessKeyId>ASIA" + n +
           "</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
           "</AssumeRoleWithWebIdentityResponse>";
  };
  // fake.now is 2023-11-14T22:13:20Z.
  fake.reply(200, R"({"value":"cache-jwt-1"})");
  fake.reply(200, sts_reply("1", "2023-11-14T23:13:20Z"));
  fake.reply(200, R"({"value":"cache-jwt-2"})");
  fake.reply(200, sts_reply("2", "2023-11-15T00:13:20Z"));
  aws::CredentialSettings settings;
  settings.role_to_assume = "arn:aws:iam::123456789012:role/r";
  settings.sts_endpoint = "http://127.0.0.1:9";
  aws::CredentialCache cache(settings, env, fake.context());
  const auto start = fake.now;
  CHECK(cache.get()->access_key_id == "ASIA1");
  fake.now = start + 54min;
  CHECK(cache.get()->access_key_id == "ASIA1");
  fake.now = start + 56min;
  CHECK(cache.get()->access_key_id == "ASIA2");
  CHECK(fake.requests.size() == 4);
}

TEST_CASE("provider: environment keys that AWS rejects are not fetched again", "[provider]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(403, R"({"__type":"UnrecognizedClientException","message":"invalid token"})");
  fake.reply(200, token_reply("provider-pw-9", seconds_of(fake.now + 12h)));
  auto cache = std::make_shared<aws::CredentialCache>(aws::CredentialSettings{}, static_keys(),
                                                      fake.context());
  aws::EcrCredentialProvider provider(public_settings(), cache, fake.context());
  auto credential = provider.credential(false);
  REQUIRE_FALSE(credential.ok());
  CHECK(credential.error().code == "UnrecognizedClientException");
  CHECK(fake.requests.size() == 1);
}
