#include "registry/errors.hpp"

#include "registry/backoff.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace ecrm::registry {

Error error_from_response(std::string_view what, const http::Response& response) {
  Error e;
  e.http_status = static_cast<int>(response.status);
  e.retryable = is_retryable_status(response.status);
  std::string detail;
  if (auto json = util::Json::parse(response.body, 16); json && json->is_object()) {
    if (const auto* errors = json->find("errors"); errors && errors->is_array()) {
      std::vector<std::string> parts;
      for (const auto& item : errors->items()) {
        auto code = item.get_string("code").value_or("");
        auto message = item.get_string("message").value_or("");
        if (e.code.empty()) e.code = code;
        parts.push_back(code.empty() ? message : code + ": " + message);
      }
      detail = util::join(parts, "; ");
    }
  }
  if (detail.empty() && !response.body.empty() && response.body.size() < 300 &&
      response.body.find('<') == std::string::npos) {
    detail = util::trim(response.body);
  }
  e.message = std::string(what) + " failed: HTTP " + std::to_string(response.status);
  if (!detail.empty()) e.message += " (" + detail + ")";
  switch (response.status) {
    case 401:
      e.kind = ErrorKind::Auth;
      e.hint =
          "the registry rejected the credentials; check the username/password or token given "
          "for this registry";
      break;
    case 403:
      e.kind = ErrorKind::Auth;
      e.hint =
          "the credentials are valid but lack permission for this repository; grant pull on "
          "the source and push on the destination";
      break;
    case 404:
      e.kind = ErrorKind::NotFound;
      // ECR answers pushes to a repository that does not exist with NAME_UNKNOWN (distribution
      // spec error codes); registries like distribution create repositories on first push.
      if (e.code == "NAME_UNKNOWN")
        e.hint =
            "the repository does not exist; create it, or for ECR and ECR Public pass "
            "--create-repository (create-repository: true)";
      break;
    case 429:
      e.kind = ErrorKind::Registry;
      e.hint =
          "the registry is rate-limiting; wait and re-run, or authenticate to raise the limit "
          "(Docker Hub limits anonymous pulls)";
      break;
    default:
      e.kind = ErrorKind::Registry;
      if (response.status >= 500) e.hint = "the registry failed; re-run later";
      // ECR's 400 DENIED: an expired or revoked token that a renewal did not cure.
      if (e.code == "DENIED") {
        e.kind = ErrorKind::Auth;
        e.hint =
            "the registry denied the request after the credentials were renewed; check that the "
            "identity may push to this repository";
      }
      // ECR's answer to a PUT of an existing tag in a repository with immutable tags.
      if (e.code == "TAG_INVALID")
        e.hint =
            "the destination repository has immutable tags: add an exclusion filter for the "
            "rolling tag (image-tag-mutability IMMUTABLE_WITH_EXCLUSION), or use tag templates "
            "without a rolling tag (e.g. --tags '{tag}-{digest12}')";
  }
  return e;
}

}  // namespace ecrm::registry
