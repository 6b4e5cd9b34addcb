#pragma once
// AWS Signature Version 4 for header-signed requests ("Create a signed AWS API request", AWS IAM
// User Guide). Pure except sign_request, which edits the request it is given.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "http/client.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // the signing name: "ecr", "ecr-public", "sts"
};

// What the canonical request is built from, as it goes on the wire.
struct CanonicalInput {
  std::string method;
  std::string path;   // before '?', e.g. "/" or "/example space/"
  std::string query;  // after '?', without it; may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // all signed, Host included
  std::string payload_hash;                                  // hex SHA-256 of the body
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // 64 hex
  std::string authorization;   // the Authorization header value
};

// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point time);

// The path with "." and ".." segments and repeated slashes removed (RFC 3986 §5.2.4; every
// service but S3), then each segment percent-encoded (RFC 3986 unreserved characters kept).
std::string canonical_uri(std::string_view path);
// Parameters decoded, re-encoded, sorted by name then value, joined with '&'.
std::string canonical_query(std::string_view query);

// `amz_date_value` is the X-Amz-Date the headers carry.
Signature compute_signature(const CanonicalInput& input, const AwsCredentials& credentials,
                            const SigningScope& scope, std::string_view amz_date_value);

// Signs `request` in place: sets X-Amz-Date, X-Amz-Security-Token (when the credentials have a
// session token) and Authorization. Signs Host (from the URL unless a Host header is set) and
// every header present except those a proxy or the transport may change (User-Agent, Expect,
// Transfer-Encoding, X-Amzn-Trace-Id). The body must be in request.body (no streaming).
Status sign_request(http::Request& request, const AwsCredentials& credentials,
                    const SigningScope& scope, std::chrono::system_clock::time_point now);

}  // namespace ecrm::aws
