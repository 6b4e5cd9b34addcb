// Fuzzes the STS reply parsers (aws::parse_assume_role_reply, parse_sts_error_reply, sts_error,
// parse_iso8601_utc): the XML comes from the endpoint named by --aws-region or the environment.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/sts.hpp"
#include "fuzz_check.hpp"
#include "util/log.hpp"

using namespace ecrm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  // parse_assume_role_reply registers every secret it reads; forget them so memory stays flat.
  util::Log::get().reset_for_tests();

  const auto credentials = aws::parse_assume_role_reply(xml);
  if (credentials) {
    FUZZ_CHECK(!credentials->access_key_id.empty());
    FUZZ_CHECK(!credentials->secret_access_key.empty());
    FUZZ_CHECK(!credentials->session_token.empty());
    // The secrets are masked from here on.
    FUZZ_CHECK(util::Log::get().redact(credentials->secret_access_key) == "***");
    FUZZ_CHECK(util::Log::get().redact(credentials->session_token) == "***");
  } else {
    FUZZ_CHECK(credentials.error().kind == ErrorKind::Integrity);
  }

  const auto reply = aws::parse_sts_error_reply(xml);
  if (reply) FUZZ_CHECK(!reply->code.empty());

  aws::AssumeRoleRequest request;
  request.endpoint = "https://sts.us-east-1.amazonaws.com";
  request.role_arn = "arn:aws:iam::123456789012:role/mirror";
  request.session_name = "GitHubActions";
  request.web_identity_token = "fuzz-web-identity-token";
  aws::TrustContext trust;
  trust.audience = "sts.amazonaws.com";
  trust.github_repository = "octo/mirror";
  trust.github_ref = "refs/heads/main";
  const long status = size == 0 ? 400 : 400 + static_cast<long>(data[0] % 200);
  const Error error = aws::sts_error(status, xml, request, trust);
  FUZZ_CHECK(error.kind == ErrorKind::Auth || error.kind == ErrorKind::Usage);
  FUZZ_CHECK(error.http_status == status);
  // The token is a secret: only an echo from the server may put it in the message.
  if (xml.find(request.web_identity_token) == std::string_view::npos) {
    FUZZ_CHECK(error.message.find(request.web_identity_token) == std::string::npos);
    FUZZ_CHECK(error.hint.find(request.web_identity_token) == std::string::npos);
  }
  if (status >= 500 || status == 429) FUZZ_CHECK(error.retryable);

  // The Expiration field's own parser, on the raw input too (sscanf and timegm on hostile text).
  (void)aws::parse_iso8601_utc(xml);
  return 0;
}
