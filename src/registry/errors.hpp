#pragma once
// Registry error responses (OCI distribution spec §"Error Codes"): {"errors":[{"code","message",
// "detail"}]}. Typed so callers can branch on MANIFEST_UNKNOWN, BLOB_UNKNOWN, DENIED, …
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "util/expected.hpp"

namespace ecrm::registry {

// An Error for a non-success response to `what` ("HEAD manifest noble on host/repo"): kind from the
// status (401/403 Auth, 404 NotFound, 408/429/5xx retryable Registry), code and message from the
// body when it has the spec's shape, and a hint for the common cases.
Error error_from_response(std::string_view what, const http::Response& response);

}  // namespace ecrm::registry
