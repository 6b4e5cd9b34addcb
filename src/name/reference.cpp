// Image reference parsing: the grammar of github.com/distribution/reference (regexp.go) and the
// normalisation of its ParseNormalizedNamed (normalize.go), written as a hand parser so each
// failure can say which part of the input is wrong and how to fix it.
#include "name/reference.hpp"

#include <cstddef>
#include <string>
#include <string_view>

#include "util/strings.hpp"

namespace ecrm::name {
namespace {

// distribution/reference RepositoryNameTotalLengthMax; checked on the path, which is what
// registries limit (reference.go Parse).
constexpr std::size_t kMaxPathLength = 255;
std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

Error usage(std::string_view input, const std::string& why, std::string hint) {
  return make_error(ErrorKind::Usage, "invalid image reference " + quoted(input) + ": " + why,
                    std::move(hint));
}

bool is_hub_alias(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == kDockerHubRegistry;
}

// normalize.go splitDockerDomain: the first component names a registry only when it looks like
// one; otherwise "user/app" would be mistaken for a host called "user".
bool looks_like_registry(std::string_view first_component) {
  return first_component.find_first_of(".:") != std::string_view::npos ||
         util::iequals(first_component, "localhost");
}

// `written_path` is the path as it appears inside `input`, so a fix can be shown in the user's own
// spelling.
std::string with_lower_case_path(std::string_view input, std::string_view written_path) {
  const auto offset = static_cast<std::size_t>(written_path.data() - input.data());
  return std::string(input.substr(0, offset)) + util::to_lower(written_path) +
         std::string(input.substr(offset + written_path.size()));
}

Status check_path(std::string_view input, std::string_view path, std::string_view written_path) {
  if (path.size() > kMaxPathLength) {
    return usage(input,
                 "the repository path is " + std::to_string(path.size()) + " characters; at most " +
                     std::to_string(kMaxPathLength) + " are allowed",
                 "shorten the repository path");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view component = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (component.empty()) {
      return usage(input, "the repository path " + quoted(path) + " has an empty component",
                   "remove the extra '/' (a path looks like 'namespace/name')");
    }
    if (!is_valid_path_component(component)) {
      const std::string lowered = util::to_lower(component);
      if (lowered != component && is_valid_path_component(lowered)) {
        return usage(input, "repository name must be lowercase (" + quoted(component) + ")",
                     "write it as " + quoted(with_lower_case_path(input, written_path)));
      }
      return usage(input, "the path component " + quoted(component) + " is not valid",
                   "use lower-case letters and digits, separated by '.', '_', '__' or '-' "
                   "(not at the start or end)");
    }
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

Status check_digest(std::string_view input, std::string_view digest) {
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return usage(input, "the digest " + quoted(digest) + " has no algorithm",
                 "write it as '@sha256:<64 hex characters>'");
  }
  const std::string_view algorithm = digest.substr(0, colon);
  if (algorithm != "sha256") {
    return usage(input, "only sha256 digests are supported, not " + quoted(algorithm),
                 "pin the image by its sha256 digest: '@sha256:<64 hex characters>'");
  }
  if (!is_valid_digest(digest)) {
    return usage(input, "the digest " + quoted(digest) + " is not 64 lower-case hex characters",
                 "copy the full digest, e.g. from 'skopeo inspect' or the registry's console");
  }
  return {};
}

struct Parts {
  Repository repository;
  std::string tag;
  std::string digest;
};

Expected<Parts> parse_parts(std::string_view input) {
  if (input.empty()) {
    return usage(input, "it is empty", "give an image such as 'alpine:3.20' or 'ghcr.io/o/app'");
  }
  if (input.find("://") != std::string_view::npos) {
    return usage(input, "a reference has no URL scheme",
                 "drop the scheme, e.g. 'ghcr.io/owner/app:tag' instead of 'https://ghcr.io/...'");
  }
  Parts parts;
  std::string_view name = input;

  const std::size_t at = name.find('@');
  if (at != std::string_view::npos) {
    const std::string_view digest = name.substr(at + 1);
    if (auto status = check_digest(input, digest); !status) return status.error();
    parts.digest = std::string(digest);
    name = name.substr(0, at);
  }

  // A ':' after the last '/' starts the tag; earlier ones belong to a registry port.
  const std::size_t last_slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    const std::string_view tag = name.substr(colon + 1);
    if (!is_valid_tag(tag)) {
      return usage(input, "the tag " + quoted(tag) + " is not valid",
                   "a tag is 1-128 of [A-Za-z0-9_.-] and does not start with '.' or '-'");
    }
    parts.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.empty()) {
    return usage(input, "the repository name is missing", "put the image name before ':' or '@'");
  }

  // normalize.go rejects a bare 64-hex name: it is almost always a digest missing "sha256:".
  if (name == input && is_valid_digest("sha256:" + std::string(name))) {
    return usage(input, "a repository name cannot be a 64-character hexadecimal string",
                 "to pin a digest write '<image>@sha256:" + std::string(name) + "'");
  }

  const std::size_t first_slash = name.find('/');
  std::string_view path = name;
  std::string registry(kDockerHubRegistry);
  if (first_slash != std::string_view::npos && looks_like_registry(name.substr(0, first_slash))) {
    const std::string_view host = name.substr(0, first_slash);
    if (!is_valid_registry_host(host)) {
      return usage(input, "the registry " + quoted(host) + " is not a valid host[:port]",
                   "write the registry as a host name, IPv4 or [IPv6] address, with an optional "
                   "numeric port, e.g. 'localhost:5000'");
    }
    registry = util::to_lower(host);
    if (is_hub_alias(registry)) registry = std::string(kDockerHubRegistry);
    path = name.substr(first_slash + 1);
  }
  if (path.empty()) {
    return usage(input, "the repository path is missing after the registry",
                 "add the repository, e.g. " + quoted(std::string(name) + "namespace/name"));
  }
  // Docker Hub keeps its official images under "library/" (normalize.go officialRepoPrefix).
  std::string full_path(path);
  if (registry == kDockerHubRegistry && path.find('/') == std::string_view::npos) {
    full_path = "library/" + full_path;
  }
  if (auto status = check_path(input, full_path, path); !status) return status.error();

  parts.repository = Repository{std::move(registry), std::move(full_path)};
  return parts;
}

}  // namespace

std::string Reference::str() const {
  std::string out = repository.str();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Expected<Reference> parse_reference(std::string_view text) {
  auto parts = parse_parts(text);
  if (!parts) return parts.error();
  Reference reference{std::move(parts->repository), std::move(parts->tag),
                      std::move(parts->digest)};
  if (reference.tag.empty() && reference.digest.empty()) reference.tag = std::string(kDefaultTag);
  return reference;
}

Expected<Repository> parse_repository(std::string_view text) {
  auto parts = parse_parts(text);
  if (!parts) return parts.error();
  if (!parts->digest.empty()) {
    return make_error(ErrorKind::Usage,
                      "destination repository " + quoted(text) + " must not contain a digest",
                      "give only the repository, e.g. " + quoted(text.substr(0, text.find('@'))) +
                          "; the pushed digest is always the source's");
  }
  if (!parts->tag.empty()) {
    const std::string_view untagged = text.substr(0, text.size() - parts->tag.size() - 1);
    std::string hint = "give only the repository, e.g. " + quoted(untagged) +
                       ", and put tags in --tags (e.g. --tags '" + parts->tag + "')";
    const bool tag_looks_like_port =
        parts->tag.find_first_not_of("0123456789") == std::string::npos;
    if (text.find('/') == std::string_view::npos && tag_looks_like_port) {
      hint += "; if " + quoted(text) + " is a registry, add the repository path after a '/'";
    }
    return make_error(ErrorKind::Usage,
                      "destination repository " + quoted(text) + " must not contain a tag",
                      std::move(hint));
  }
  return std::move(parts->repository);
}

}  // namespace ecrm::name
