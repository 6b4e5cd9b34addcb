#pragma once
// Image references as pure values: parsing and printing, no I/O (go-containerregistry pkg/name).
// Grammar: github.com/distribution/reference (reference.go / regexp.go).
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace ecrm::name {

inline constexpr std::string_view kDockerHubRegistry = "registry-1.docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Repository {
  std::string registry;  // host[:port], lower-case host; Docker Hub is "registry-1.docker.io"
  std::string path;      // "library/alpine", "g0u3p4x2/caylent-solutions/devcontainer-base"
  std::string str() const { return registry + "/" + path; }
  bool operator==(const Repository&) const = default;
};

struct Reference {
  Repository repository;
  std::string tag;     // empty when given only by digest
  std::string digest;  // "sha256:<64 hex>", empty when given only by tag
  // "registry/path:tag", "registry/path@sha256:…" or "registry/path:tag@sha256:…"
  std::string str() const;
  // What goes in /v2/<path>/manifests/<identifier>: the digest when known, else the tag.
  std::string identifier() const { return digest.empty() ? tag : digest; }
  bool operator==(const Reference&) const = default;
};

// A source reference. Normalised as docker does: "alpine" → registry-1.docker.io/library/alpine,
// "user/app" → registry-1.docker.io/user/app, "docker.io"/"index.docker.io" → registry-1.docker.io;
// no tag and no digest → tag "latest". Errors are ErrorKind::Usage and name the bad part.
Expected<Reference> parse_reference(std::string_view text);

// A destination repository: the same normalisation, but a tag or digest is a usage error.
Expected<Repository> parse_repository(std::string_view text);

// "sha256:" + 64 lower-case hex (the only algorithm registries accept for pushes).
bool is_valid_digest(std::string_view digest);
// [\w][\w.-]{0,127}
bool is_valid_tag(std::string_view tag);
// path-component := [a-z0-9]+ ( ( [._] | __ | [-]+ ) [a-z0-9]+ )* (one segment between slashes).
bool is_valid_path_component(std::string_view component);
// A host or host:port as docker accepts (domain components, IPv4, [IPv6], optional port).
bool is_valid_registry_host(std::string_view host);

}  // namespace ecrm::name
