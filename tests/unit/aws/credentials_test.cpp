#include "aws/credentials.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>

#include "fake_transport.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

using namespace ecrm;

namespace {

struct CapturedLog {
  std::string out;
  explicit CapturedLog(bool actions = false) {
    util::Log::get().set_sink_for_tests(&out);
    util::Log::get().set_actions(actions);
  }
  ~CapturedLog() {
    util::Log::get().set_sink_for_tests(nullptr);
    util::Log::get().set_actions(false);
  }
};

util::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

aws::CredentialSettings settings(std::string role = {}) {
  aws::CredentialSettings s;
  s.role_to_assume = std::move(role);
  s.sts_endpoint = "https://sts.eu-west-1.amazonaws.com";
  return s;
}

std::string sts_success(const std::string& secret, const std::string& session) {
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
         "<SessionToken>" +
         session + "</SessionToken><SecretAccessKey>" + secret +
         "</SecretAccessKey><Expiration>2023-11-14T23:13:20Z</Expiration>"
         "<AccessKeyId>ASIAEXAMPLE</AccessKeyId></Credentials>"
         "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
}

}  // namespace

TEST_CASE("OIDC token URL appends the audience", "[credentials]") {
  CHECK(aws::oidc_token_url(
            "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
            "sts.amazonaws.com") ==
        "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0"
        "&audience=sts.amazonaws.com");
  CHECK(aws::oidc_token_url("http://127.0.0.1:8080/token", "https://my aud") ==
        "http://127.0.0.1:8080/token?audience=https%3A%2F%2Fmy%20aud");
}

TEST_CASE("OIDC token reply parsing", "[credentials]") {
  CapturedLog log;
  auto token = aws::parse_oidc_token_reply(200, R"({"count":1729,"value":"cred-test-jwt-1"})");
  REQUIRE(token.ok());
  CHECK(*token == "cred-test-jwt-1");
  CHECK(util::Log::get().redact("cred-test-jwt-1") == "***");

  for (const char* body : {"", "{}", R"({"value":""})", R"({"value":42})", "not json"}) {
    INFO(body);
    auto bad = aws::parse_oidc_token_reply(200, body);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::Auth);
  }
  auto forbidden = aws::parse_oidc_token_reply(403, "{}");
  REQUIRE_FALSE(forbidden.ok());
  CHECK_FALSE(forbidden.error().retryable);
  CHECK(forbidden.error().hint.find("id-token: write") != std::string::npos);
  CHECK(aws::parse_oidc_token_reply(502, "").error().retryable);
}

TEST_CASE("a role without the OIDC variables asks for id-token: write", "[credentials]") {
  CapturedLog log;
  aws::testing::FakeAws fake;
  auto context = fake.context();
  // Static keys do not stand in for the OIDC token when a role is named.
  auto env = env_of({{"AWS_ACCESS_KEY_ID", "AKIA1"},
                     {"AWS_SECRET_ACCESS_KEY", "cred-test-sk-0"},
                     {"ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/token"}});
  auto credentials =
      aws::resolve_credentials(settings("arn:aws:iam::123456789012:role/r"), env, context);
  REQUIRE_FALSE(credentials.ok());
  CHECK(credentials.error().kind == ErrorKind::Auth);
  CHECK(credentials.error().message.find("ACTIONS_ID_TOKEN_REQUEST_TOKEN") != std::string::npos);
  CHECK(credentials.error().hint.find("permissions: id-token: write") != std::string::npos);
  CHECK(fake.requests.empty());
}

TEST_CASE("role → GitHub OIDC token → STS", "[credentials]") {
  CapturedLog log(true);
  aws::testing::FakeAws fake;
  fake.reply(200, R"({"count":1,"value":"cred-test-jwt-2"})");
  fake.reply(200, sts_success("cred-test-sk-2", "cred-test-st-2"));
  auto context = fake.context();
  auto env = env_of({{"ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/token?api-version=2.0"},
                     {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "cred-test-request-token-2"},
                     {"GITHUB_REPOSITORY", "octo/app"}});
  auto s = settings("arn:aws:iam::123456789012:role/mirror");
  s.audience = "my-aud";
  s.role_session_name = "mirror-run";
  s.duration_seconds = 900;
  auto credentials = aws::resolve_credentials(s, env, context);
  REQUIRE(credentials.ok());
  CHECK(credentials->access_key_id == "ASIAEXAMPLE");
  CHECK(credentials->session_token == "cred-test-st-2");
  CHECK(credentials->expiration);
  CHECK(credentials->source.find("GitHub OIDC") != std::string::npos);

  REQUIRE(fake.requests.size() == 2);
  const auto& oidc = fake.requests[0];
  CHECK(oidc.method == "GET");
  CHECK(oidc.url == "http://127.0.0.1:1/token?api-version=2.0&audience=my-aud");
  CHECK(oidc.headers.get("Authorization") == "Bearer cred-test-request-token-2");
  CHECK(oidc.headers.get("Accept") == "application/json");
  const auto& sts = fake.requests[1];
  CHECK(sts.url == "https://sts.eu-west-1.amazonaws.com/");
  CHECK(sts.body.find("&RoleSessionName=mirror-run&WebIdentityToken=cred-test-jwt-2"
                      "&DurationSeconds=900") != std::string::npos);

  // Every secret was masked, and nothing printed carries one.
  for (const char* secret :
       {"cred-test-request-token-2", "cred-test-jwt-2", "cred-test-sk-2", "cred-test-st-2"}) {
    INFO(secret);
    CHECK(log.out.find(std::string("::add-mask::") + secret) != std::string::npos);
    CHECK(util::Log::get().redact(secret) == "***");
  }
}

TEST_CASE("OIDC endpoint failures are retried when transient", "[credentials]") {
  CapturedLog log;
  aws::testing::FakeAws fake;
  fake.reply(503, "");
  fake.reply(200, R"({"value":"cred-test-jwt-3"})");
  fake.reply(200, sts_success("cred-test-sk-3", "cred-test-st-3"));
  auto context = fake.context();
  auto env = env_of({{"ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:1/t"},
                     {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "cred-test-request-token-3"}});
  CHECK(aws::resolve_credentials(settings("arn:aws:iam::1:role/r"), env, context).ok());
  CHECK(fake.requests.size() == 3);
  CHECK(fake.sleeps.size() == 1);
}

TEST_CASE("without a role: environment keys come first", "[credentials]") {
  CapturedLog log;
  aws::testing::FakeAws fake;
  auto context = fake.context();
  auto env = env_of({{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                     {"AWS_SECRET_ACCESS_KEY", "cred-test-sk-4"},
                     {"AWS_SESSION_TOKEN", "cred-test-st-4"},
                     {"AWS_ROLE_ARN", "arn:aws:iam::1:role/eks"},
                     {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}});
  auto credentials = aws::resolve_credentials(settings(), env, context);
  REQUIRE(credentials.ok());
  CHECK(credentials->access_key_id == "AKIAENV");
  CHECK(credentials->secret_access_key == "cred-test-sk-4");
  CHECK(credentials->session_token == "cred-test-st-4");
  CHECK_FALSE(credentials->expiration);
  CHECK(fake.requests.empty());
  CHECK(util::Log::get().redact("cred-test-sk-4 cred-test-st-4") == "*** ***");

  auto long_term = aws::resolve_credentials(
      settings(),
      env_of({{"AWS_ACCESS_KEY_ID", "AKIA2"}, {"AWS_SECRET_ACCESS_KEY", "cred-test-sk-5"}}),
      context);
  REQUIRE(long_term.ok());
  CHECK(long_term->session_token.empty());

  auto half =
      aws::resolve_credentials(settings(), env_of({{"AWS_ACCESS_KEY_ID", "AKIA3"}}), context);
  REQUIRE_FALSE(half.ok());
  CHECK(half.error().message.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
}

TEST_CASE("without a role or keys: the web identity token file", "[credentials]") {
  CapturedLog log;
  const std::string path = "/tmp/ecrm-credentials-test-token-" + std::to_string(::getpid());
  {
    std::ofstream file(path);
    file << "cred-test-file-jwt-6\n";
  }
  aws::testing::FakeAws fake;
  fake.reply(200, sts_success("cred-test-sk-6", "cred-test-st-6"));
  auto context = fake.context();
  auto env = env_of({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/eks"},
                     {"AWS_WEB_IDENTITY_TOKEN_FILE", path},
                     {"AWS_ROLE_SESSION_NAME", "eks-session"}});
  auto credentials = aws::resolve_credentials(settings(), env, context);
  std::remove(path.c_str());
  REQUIRE(credentials.ok());
  REQUIRE(fake.requests.size() == 1);
  CHECK(fake.requests[0].body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Feks"
                                   "&RoleSessionName=eks-session"
                                   "&WebIdentityToken=cred-test-file-jwt-6&") != std::string::npos);
  CHECK(util::Log::get().redact("cred-test-file-jwt-6") == "***");

  auto missing =
      aws::resolve_credentials(settings(),
                               env_of({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/eks"},
                                       {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/ecrm/token"}}),
                               context);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::Auth);
  CHECK(missing.error().message.find("/nonexistent/ecrm/token") != std::string::npos);
}

TEST_CASE("no credentials at all says how to provide them", "[credentials]") {
  aws::testing::FakeAws fake;
  auto context = fake.context();
  // AWS_ROLE_ARN alone is not enough for the web identity flow.
  auto none = aws::resolve_credentials(
      settings(), env_of({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/x"}}), context);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::Auth);
  CHECK(none.error().hint.find("--role-to-assume") != std::string::npos);
  CHECK(none.error().hint.find("AWS_ACCESS_KEY_ID") != std::string::npos);
  CHECK(none.error().hint.find("AWS_WEB_IDENTITY_TOKEN_FILE") != std::string::npos);
}

TEST_CASE("expires_within", "[credentials]") {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  aws::AwsCredentials never;
  CHECK_FALSE(aws::expires_within(never, std::chrono::minutes(5), now));
  aws::AwsCredentials soon;
  soon.expiration = now + std::chrono::minutes(4);
  CHECK(aws::expires_within(soon, std::chrono::minutes(5), now));
  soon.expiration = now + std::chrono::minutes(6);
  CHECK_FALSE(aws::expires_within(soon, std::chrono::minutes(5), now));
}
