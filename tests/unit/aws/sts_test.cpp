// STS replies in the shapes AWS sends (STS API reference: AssumeRoleWithWebIdentity, Errors).
#include "aws/sts.hpp"

#include <catch2/catch.hpp>

#include "fake_transport.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

using namespace ecrm;
using std::chrono::milliseconds;

namespace {

struct QuietLog {
  std::string out;
  QuietLog() { util::Log::get().set_sink_for_tests(&out); }
  ~QuietLog() { util::Log::get().set_sink_for_tests(nullptr); }
};

std::string success_reply(const std::string& secret, const std::string& session,
                          const std::string& expiration = "2023-11-14T23:13:20Z") {
  return R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:octo/app:ref:refs/heads/main</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/mirror/GitHubActions</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:GitHubActions</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>)" +
         session + R"(</SessionToken>
      <SecretAccessKey>)" +
         secret + R"(</SecretAccessKey>
      <Expiration>)" +
         expiration + R"(</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>)";
}

std::string error_reply(const std::string& code, const std::string& message,
                        const std::string& type = "Sender") {
  return R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>)" +
         type + R"(</Type>
    <Code>)" +
         code + R"(</Code>
    <Message>)" +
         message + R"(</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>
)";
}

aws::AssumeRoleRequest role_request(const std::string& token = "sts-test-oidc-token") {
  return {"https://sts.us-east-1.amazonaws.com", "arn:aws:iam::123456789012:role/mirror",
          "GitHubActions", token, 3600};
}

aws::TrustContext github_trust() {
  return {"sts.amazonaws.com", "octo/app", "refs/heads/main", true};
}

}  // namespace

TEST_CASE("STS: a success reply gives credentials and masks them", "[sts]") {
  QuietLog log;
  auto credentials =
      aws::parse_assume_role_reply(success_reply("sts-test-secret-1", "sts-test-session-1"));
  REQUIRE(credentials.ok());
  CHECK(credentials->access_key_id == "ASgeIAIOSFODNN7EXAMPLE");
  CHECK(credentials->secret_access_key == "sts-test-secret-1");
  CHECK(credentials->session_token == "sts-test-session-1");
  REQUIRE(credentials->expiration);
  CHECK(std::chrono::system_clock::to_time_t(*credentials->expiration) == 1700003600);
  CHECK(util::Log::get().redact("k=sts-test-secret-1 t=sts-test-session-1") == "k=*** t=***");
}

TEST_CASE("STS: malformed or incomplete replies are integrity errors", "[sts]") {
  QuietLog log;
  for (const std::string& body :
       {std::string("<AssumeRoleWithWebIdentityResponse><Unclosed>"), std::string("{}"),
        std::string("<AssumeRoleWithWebIdentityResponse/>"),
        success_reply("", "sts-test-session-2"),
        success_reply("sts-test-secret-3", "sts-test-session-3", "tomorrow")}) {
    INFO(body);
    auto credentials = aws::parse_assume_role_reply(body);
    REQUIRE_FALSE(credentials.ok());
    CHECK(credentials.error().kind == ErrorKind::Integrity);
  }
}

TEST_CASE("STS: ISO 8601 expiration", "[sts]") {
  auto whole = aws::parse_iso8601_utc("2015-08-30T12:36:00Z");
  REQUIRE(whole);
  CHECK(std::chrono::system_clock::to_time_t(*whole) == 1440938160);
  auto fraction = aws::parse_iso8601_utc("2015-08-30T12:36:00.123Z");
  REQUIRE(fraction);
  CHECK(std::chrono::system_clock::to_time_t(*fraction) == 1440938160);
  CHECK(aws::parse_iso8601_utc("2015-08-30T12:36:00+00:00"));
  for (const char* bad :
       {"", "2015-08-30", "2015-08-30T12:36:00", "2015-13-30T12:36:00Z", "2015-08-30T12:36:00.Z",
        "2015-08-30T12:36:00+02:00", "2015-08-30 12:36:00Z"}) {
    INFO(bad);
    CHECK_FALSE(aws::parse_iso8601_utc(bad));
  }
}

TEST_CASE("STS: error replies are parsed", "[sts]") {
  auto reply = aws::parse_sts_error_reply(
      error_reply("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"));
  REQUIRE(reply);
  CHECK(reply->type == "Sender");
  CHECK(reply->code == "AccessDenied");
  CHECK(reply->message == "Not authorized to perform sts:AssumeRoleWithWebIdentity");
  CHECK(reply->request_id == "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  CHECK_FALSE(aws::parse_sts_error_reply("<html>Bad gateway</html>"));
  CHECK_FALSE(aws::parse_sts_error_reply(""));
}

TEST_CASE("STS: AccessDenied and IDPRejectedClaim say what to check in the trust policy", "[sts]") {
  for (const char* code : {"AccessDenied", "IDPRejectedClaim"}) {
    INFO(code);
    const Error error =
        aws::sts_error(403, error_reply(code, "Not authorized"), role_request(), github_trust());
    CHECK(error.kind == ErrorKind::Auth);
    CHECK_FALSE(error.retryable);
    CHECK(error.code == code);
    CHECK(error.http_status == 403);
    CHECK(error.message.find(code) != std::string::npos);
    CHECK(error.message.find("arn:aws:iam::123456789012:role/mirror") != std::string::npos);
    CHECK(error.hint.find("arn:aws:iam::123456789012:oidc-provider/"
                          "token.actions.githubusercontent.com") != std::string::npos);
    CHECK(error.hint.find("token.actions.githubusercontent.com:aud\" must equal "
                          "\"sts.amazonaws.com\"") != std::string::npos);
    CHECK(error.hint.find("\"repo:octo/app:ref:refs/heads/main\"") != std::string::npos);
    CHECK(error.message.find("sts-test-oidc-token") == std::string::npos);
    CHECK(error.hint.find("sts-test-oidc-token") == std::string::npos);
  }
  // Without the GitHub variables the hint shows the pattern to fill in.
  const Error generic = aws::sts_error(403, error_reply("AccessDenied", "no"), role_request(),
                                       {"my-audience", "", "", true});
  CHECK(generic.hint.find("repo:<owner>/<repository>:ref:refs/heads/<branch>") !=
        std::string::npos);
  CHECK(generic.hint.find("\"my-audience\"") != std::string::npos);
}

TEST_CASE("STS: other codes map to their own advice", "[sts]") {
  const Error invalid =
      aws::sts_error(400, error_reply("InvalidIdentityToken", "Incorrect token audience"),
                     role_request(), github_trust());
  CHECK(invalid.kind == ErrorKind::Auth);
  CHECK(invalid.hint.find("audience") != std::string::npos);
  CHECK(invalid.message.find("Incorrect token audience") != std::string::npos);

  const Error expired = aws::sts_error(400, error_reply("ExpiredTokenException", "Token expired"),
                                       role_request(), github_trust());
  CHECK(expired.hint.find("expired") != std::string::npos);
  CHECK_FALSE(expired.retryable);

  const Error validation =
      aws::sts_error(400,
                     error_reply("ValidationError",
                                 "The requested DurationSeconds exceeds the MaxSessionDuration"),
                     role_request(), github_trust());
  CHECK(validation.kind == ErrorKind::Usage);
  CHECK(validation.hint.find("--role-duration-seconds") != std::string::npos);

  for (auto [status, code] :
       {std::pair{400L, "Throttling"}, std::pair{400L, "IDPCommunicationError"},
        std::pair{503L, ""}, std::pair{500L, "InternalFailure"}}) {
    INFO(code);
    const Error error = aws::sts_error(
        status, *code ? error_reply(code, "try later", "Receiver") : "Service Unavailable",
        role_request(), github_trust());
    CHECK(error.retryable);
  }
}

TEST_CASE("STS: the request is an unsigned form POST", "[sts]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(200, success_reply("sts-test-secret-4", "sts-test-session-4"));
  auto context = fake.context();
  auto request = role_request("tok+en/=");
  request.session_name = "my session";
  auto credentials = aws::assume_role_with_web_identity(request, github_trust(), context);
  REQUIRE(credentials.ok());
  REQUIRE(fake.requests.size() == 1);
  const auto& sent = fake.requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.url == "https://sts.us-east-1.amazonaws.com/");
  CHECK(sent.headers.get("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK_FALSE(sent.headers.get("Authorization"));
  CHECK(sent.body ==
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
        "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fmirror"
        "&RoleSessionName=my%20session&WebIdentityToken=tok%2Ben%2F%3D&DurationSeconds=3600");
  CHECK(fake.sleeps.empty());
}

TEST_CASE("STS: throttling and IDP trouble are retried with backoff, then succeed", "[sts]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(400, error_reply("Throttling", "Rate exceeded"));
  fake.reply(400, error_reply("IDPCommunicationError", "Couldn't reach the IdP", "Receiver"));
  fake.fail(ErrorKind::Network, "connection reset", true);
  fake.reply(200, success_reply("sts-test-secret-5", "sts-test-session-5"));
  auto context = fake.context();
  auto credentials = aws::assume_role_with_web_identity(role_request(), github_trust(), context);
  REQUIRE(credentials.ok());
  CHECK(fake.requests.size() == 4);
  CHECK(fake.sleeps ==
        std::vector<milliseconds>{milliseconds(500), milliseconds(1000), milliseconds(2000)});
}

TEST_CASE("STS: retries are bounded by attempts and by the wait budget", "[sts]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  for (int i = 0; i < 10; ++i) fake.reply(400, error_reply("Throttling", "Rate exceeded"));
  auto context = fake.context();
  auto credentials = aws::assume_role_with_web_identity(role_request(), github_trust(), context);
  REQUIRE_FALSE(credentials.ok());
  CHECK(credentials.error().code == "Throttling");
  CHECK(fake.requests.size() == 5);
  CHECK(fake.sleeps.size() == 4);

  aws::testing::FakeAws budgeted;
  for (int i = 0; i < 10; ++i) budgeted.reply(503, "");
  auto tight = budgeted.context();
  tight.retry.budget = milliseconds(1600);  // 500 + 1000 fit, the next 2000 does not
  CHECK_FALSE(aws::assume_role_with_web_identity(role_request(), github_trust(), tight).ok());
  CHECK(budgeted.requests.size() == 3);
}

TEST_CASE("STS: AccessDenied is not retried", "[sts]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(403, error_reply("AccessDenied", "Not authorized"));
  fake.reply(200, success_reply("sts-test-secret-6", "sts-test-session-6"));
  auto context = fake.context();
  auto credentials = aws::assume_role_with_web_identity(role_request(), github_trust(), context);
  REQUIRE_FALSE(credentials.ok());
  CHECK(credentials.error().code == "AccessDenied");
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("STS: a cancelled wait stops retrying", "[sts]") {
  QuietLog log;
  aws::testing::FakeAws fake;
  fake.reply(400, error_reply("Throttling", "Rate exceeded"));
  auto context = fake.context();
  context.sleep = [](milliseconds) { return false; };
  auto credentials = aws::assume_role_with_web_identity(role_request(), github_trust(), context);
  REQUIRE_FALSE(credentials.ok());
  CHECK(credentials.error().kind == ErrorKind::Cancelled);
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("backoff_delay doubles, caps and jitters the upper half", "[sts]") {
  const aws::RetryPolicy policy;  // base 500 ms, cap 8 s
  CHECK(aws::backoff_delay(policy, 1, 0.0) == milliseconds(250));
  CHECK(aws::backoff_delay(policy, 1, 1.0) == milliseconds(500));
  CHECK(aws::backoff_delay(policy, 3, 1.0) == milliseconds(2000));
  CHECK(aws::backoff_delay(policy, 3, 0.5) == milliseconds(1500));
  CHECK(aws::backoff_delay(policy, 10, 1.0) == milliseconds(8000));
  CHECK(aws::backoff_delay(policy, 1000, 0.0) == milliseconds(4000));
  CHECK(aws::backoff_delay(policy, 2, 7.0) == milliseconds(1000));  // jitter clamped
}
