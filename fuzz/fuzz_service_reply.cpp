// Fuzzes the other replies read from servers: the registry's error body
// (registry::error_from_response), ECR and ECR Public GetAuthorizationToken replies and errors
// (aws::parse_authorization_token_reply, ecr_error), GitHub's OIDC token reply
// (aws::parse_oidc_token_reply), and the helpers they use (util::base64_decode,
// auth::normalize_registry_key). Input layout: byte 1 picks the HTTP status and the service, the
// rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/keychain.hpp"
#include "aws/credentials.hpp"
#include "aws/ecr.hpp"
#include "fuzz_check.hpp"
#include "registry/errors.hpp"
#include "util/base64.hpp"
#include "util/log.hpp"

using namespace ecrm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Secrets registered by the parsers are forgotten so memory stays flat across runs.
  util::Log::get().reset_for_tests();
  const std::uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const long status = 400 + static_cast<long>(selector % 200);

  http::Response response;
  response.status = status;
  response.body = std::string(body);
  response.headers.set("Content-Type", "application/json");
  const Error registry_error =
      registry::error_from_response("GET manifest x on host/repo", response);
  FUZZ_CHECK(registry_error.http_status == 0 || registry_error.http_status == status);
  FUZZ_CHECK(!registry_error.message.empty());
  if (status >= 500 || status == 429) FUZZ_CHECK(registry_error.retryable);

  const auto type =
      (selector & 1) != 0 ? aws::DestinationType::Ecr : aws::DestinationType::EcrPublic;
  const auto token = aws::parse_authorization_token_reply(type, body);
  if (token) {
    FUZZ_CHECK(!token->username.empty() && !token->password.empty());
    FUZZ_CHECK(util::Log::get().redact(token->password) == "***");
  } else {
    FUZZ_CHECK(token.error().kind == ErrorKind::Integrity);
  }
  http::Headers headers;
  if ((selector & 2) != 0) headers.set("x-amzn-ErrorType", "ThrottlingException:http://internal");
  const Error ecr = aws::ecr_error(type, "GetAuthorizationToken", status, headers, body);
  if (status >= 500 || status == 429) FUZZ_CHECK(ecr.retryable);

  const auto oidc = aws::parse_oidc_token_reply(200, body);
  if (oidc) FUZZ_CHECK(!oidc->empty());

  const auto decoded = util::base64_decode(body);
  if (decoded) {
    // Decoding only ever shrinks, and encoding what was decoded decodes to the same bytes.
    FUZZ_CHECK(decoded->size() <= body.size());
    const auto again = util::base64_decode(util::base64_encode(*decoded));
    FUZZ_CHECK(again.ok() && *again == *decoded);
  }
  (void)auth::normalize_registry_key(body);
  return 0;
}
