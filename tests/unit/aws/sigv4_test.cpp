// SigV4 against AWS's test suite (tests/data/aws4_testsuite, see its README) and the edges that
// matter for the ECR and STS calls.
#include "aws/sigv4.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "util/crypto.hpp"
#include "util/strings.hpp"

using namespace ecrm;

namespace {

const std::string kSuite = std::string(ECRM_TEST_DATA) + "/aws4_testsuite/";

const char* const kCases[] = {
    "get-header-key-duplicate",
    "get-header-value-order",
    "get-header-value-trim",
    "get-relative",
    "get-relative-relative",
    "get-slash",
    "get-slash-dot-slash",
    "get-slash-pointless-dot",
    "get-slashes",
    "get-space",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

std::string read_vector(const std::string& name, const std::string& extension) {
  std::ifstream in(kSuite + name + "/" + name + "." + extension, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct SuiteRequest {
  std::string method, uri;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// "<METHOD> <URI> HTTP/1.1", "Name:value" lines, a blank line, the body. The URI may hold spaces
// (get-space), so it ends at the last space of the request line.
SuiteRequest parse_suite_request(const std::string& text) {
  SuiteRequest request;
  const auto lines = util::split(text, '\n');
  const std::string& first = lines.at(0);
  request.method = first.substr(0, first.find(' '));
  request.uri = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
  std::size_t index = 1;
  for (; index < lines.size() && !lines[index].empty(); ++index) {
    const auto colon = lines[index].find(':');
    request.headers.emplace_back(lines[index].substr(0, colon), lines[index].substr(colon + 1));
  }
  std::vector<std::string> body(lines.begin() + std::min(index + 1, lines.size()), lines.end());
  request.body = util::join(body, "\n");
  return request;
}

aws::AwsCredentials suite_credentials() {
  aws::AwsCredentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return credentials;
}

const aws::SigningScope kScope{"us-east-1", "service"};

std::chrono::system_clock::time_point suite_time() {
  // 2015-08-30T12:36:00Z
  return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

std::vector<std::string> sorted_lines(const std::string& text) {
  auto lines = util::split(text, '\n');
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

TEST_CASE("SigV4 test suite: canonical request, string to sign, authorization", "[sigv4]") {
  for (const char* name : kCases) {
    INFO("case " << name);
    const SuiteRequest request = parse_suite_request(read_vector(name, "req"));
    aws::CanonicalInput input;
    input.method = request.method;
    const auto question = request.uri.find('?');
    input.path = request.uri.substr(0, question);
    if (question != std::string::npos) input.query = request.uri.substr(question + 1);
    input.headers = request.headers;
    input.payload_hash = util::sha256_hex(request.body);

    const auto signature =
        aws::compute_signature(input, suite_credentials(), kScope, "20150830T123600Z");
    CHECK(signature.canonical_request == read_vector(name, "creq"));
    CHECK(signature.string_to_sign == read_vector(name, "sts"));
    CHECK(signature.authorization == read_vector(name, "authz"));
  }
}

TEST_CASE("SigV4 test suite: sign_request produces the signed request", "[sigv4]") {
  for (const char* name : kCases) {
    INFO("case " << name);
    const SuiteRequest suite = parse_suite_request(read_vector(name, "req"));
    http::Request request;
    request.method = suite.method;
    request.url = "https://example.amazonaws.com" + suite.uri;
    request.body = suite.body;
    aws::AwsCredentials credentials = suite_credentials();
    // Host comes from the URL, X-Amz-Date from the clock and the token from the credentials:
    // sign_request must put back exactly what the suite's request had.
    for (const auto& [header, value] : suite.headers) {
      if (header == "Host" || header == "X-Amz-Date") continue;
      if (header == "X-Amz-Security-Token") {
        credentials.session_token = value;
        continue;
      }
      request.headers.add(header, value);
    }
    REQUIRE(aws::sign_request(request, credentials, kScope, suite_time()).ok());

    std::string signed_text =
        suite.method + " " + suite.uri + " HTTP/1.1\nHost:example.amazonaws.com";
    for (const auto& [header, value] : request.headers.all()) {
      signed_text += "\n" + header + (header == "Authorization" ? ": " : ":") + value;
    }
    if (!suite.body.empty()) signed_text += "\n\n" + suite.body;
    CHECK(sorted_lines(signed_text) == sorted_lines(read_vector(name, "sreq")));
    CHECK(request.headers.get("Authorization") == read_vector(name, "authz"));
  }
}

TEST_CASE("amz_date formats UTC", "[sigv4]") {
  CHECK(aws::amz_date(suite_time()) == "20150830T123600Z");
  CHECK(aws::amz_date(std::chrono::system_clock::time_point{}) == "19700101T000000Z");
}

TEST_CASE("canonical_uri normalises and encodes each segment", "[sigv4]") {
  CHECK(aws::canonical_uri("") == "/");
  CHECK(aws::canonical_uri("/") == "/");
  CHECK(aws::canonical_uri("/a/b/../c/./d/") == "/a/c/d/");
  CHECK(aws::canonical_uri("/../..") == "/");
  // A path already percent-encoded on the wire is encoded again: non-S3 services double-encode.
  CHECK(aws::canonical_uri("/a%20b") == "/a%2520b");
  CHECK(aws::canonical_uri("/a+b=c") == "/a%2Bb%3Dc");
}

TEST_CASE("canonical_query decodes, re-encodes and sorts", "[sigv4]") {
  CHECK(aws::canonical_query("") == "");
  CHECK(aws::canonical_query("b=2&a=1&a=0") == "a=0&a=1&b=2");
  CHECK(aws::canonical_query("flag") == "flag=");
  CHECK(aws::canonical_query("x=a%20b&y=c d") == "x=a%20b&y=c%20d");
  CHECK(aws::canonical_query("k=a/b&&") == "k=a%2Fb");
}

TEST_CASE("sign_request: port, token, re-signing and unsigned headers", "[sigv4]") {
  http::Request request;
  request.method = "POST";
  request.url = "http://127.0.0.1:8123/";
  request.body = "{}";
  request.headers.set("Content-Type", "application/x-amz-json-1.1");
  request.headers.set("X-Amz-Target", "SpencerFrontendService.GetAuthorizationToken");
  request.headers.set("User-Agent", "ecr-mirror");
  aws::AwsCredentials credentials = suite_credentials();
  credentials.session_token = "session-token";
  const aws::SigningScope scope{"us-east-1", "ecr-public"};
  REQUIRE(aws::sign_request(request, credentials, scope, suite_time()).ok());

  const auto authorization = request.headers.get("Authorization").value_or("");
  CHECK(util::starts_with(authorization,
                          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecr-public/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                          "x-amz-security-token;x-amz-target, Signature="));
  CHECK(request.headers.get("X-Amz-Security-Token") == "session-token");
  CHECK(request.headers.get("X-Amz-Date") == "20150830T123600Z");

  // The same request re-signed later (a retry) carries one fresh date and one Authorization.
  REQUIRE(
      aws::sign_request(request, credentials, scope, suite_time() + std::chrono::hours(1)).ok());
  CHECK(request.headers.get_all("Authorization").size() == 1);
  CHECK(request.headers.get_all("X-Amz-Date") == std::vector<std::string>{"20150830T133600Z"});
  CHECK(request.headers.get("Authorization") != authorization);

  // Host includes a non-default port and drops the default one.
  http::Request https;
  https.url = "https://api.ecr.eu-west-1.amazonaws.com:443/";
  REQUIRE(aws::sign_request(https, suite_credentials(), scope, suite_time()).ok());
  aws::CanonicalInput expected{
      "GET",
      "/",
      "",
      {{"host", "api.ecr.eu-west-1.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
      util::sha256_hex("")};
  CHECK(https.headers.get("Authorization") ==
        aws::compute_signature(expected, suite_credentials(), scope, "20150830T123600Z")
            .authorization);
  CHECK_FALSE(https.headers.get("X-Amz-Security-Token"));
}

TEST_CASE("sign_request refuses what it cannot sign", "[sigv4]") {
  http::Request streamed;
  streamed.url = "https://example.amazonaws.com/";
  streamed.body_reader = [](char*, std::size_t) -> std::optional<std::size_t> { return 0; };
  CHECK_FALSE(aws::sign_request(streamed, suite_credentials(), kScope, suite_time()).ok());
  http::Request bad_url;
  bad_url.url = "not a url";
  const auto status = aws::sign_request(bad_url, suite_credentials(), kScope, suite_time());
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::Internal);
}

TEST_CASE("a different secret gives a different signature", "[sigv4]") {
  aws::CanonicalInput input{
      "GET", "/", "", {{"Host", "example.amazonaws.com"}}, util::sha256_hex("")};
  auto other = suite_credentials();
  other.secret_access_key = "another-secret";
  CHECK(aws::compute_signature(input, suite_credentials(), kScope, "20150830T123600Z").signature !=
        aws::compute_signature(input, other, kScope, "20150830T123600Z").signature);
}
