#pragma once
// Manifests and indexes: media types, parsing, platform filtering. Pure, no I/O.
// Specs: OCI image-spec (manifest.md, image-index.md, descriptor.md) and Docker's
// manifest v2 schema 2 / manifest list.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::oci {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media

// The Accept header for manifest requests: all four types we copy. (distribution 2.8 answers an
// index request that lacks the index types with 404, so always send all of them.)
std::string manifest_accept_header();
bool is_index_media_type(std::string_view media_type);
bool is_image_media_type(std::string_view media_type);
bool is_schema1_media_type(std::string_view media_type);

inline constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;      // may be empty
  std::string os_version;   // may be empty
  std::string str() const;  // "linux/arm64/v8", "linux/amd64"
  bool operator==(const Platform&) const = default;
};

// "linux/amd64", "linux/arm64/v8", "linux/arm/v7"; Usage error otherwise.
Expected<Platform> parse_platform(std::string_view text);
// A wanted platform matches when os and architecture are equal and the wanted variant is empty or
// equal (so "linux/arm64" matches an entry with variant "v8").
bool platform_matches(const Platform& wanted, const Platform& candidate);

using Annotations = std::vector<std::pair<std::string, std::string>>;

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::int64_t size = 0;
  std::optional<Platform> platform;
  std::string reference_digest;  // annotation vnd.docker.reference.digest (attestations)
  std::string reference_type;    // annotation vnd.docker.reference.type ("attestation-manifest")
  std::string artifact_type;     // image-spec 1.1 descriptor.md; referrers lists carry it
  Annotations annotations;       // in document order
};

struct Manifest {
  enum class Kind { Index, Image };
  Kind kind = Kind::Image;
  std::string media_type;             // resolved: Content-Type, else the "mediaType" field
  std::vector<Descriptor> manifests;  // Index: children
  std::optional<Descriptor> config;   // Image
  std::vector<Descriptor> layers;     // Image
  std::optional<Descriptor> subject;  // either
  std::string artifact_type;          // image-spec 1.1 manifest.md / image-index.md
  Annotations annotations;
  // Every blob an Image needs (config first, then layers). Empty for an Index.
  std::vector<Descriptor> blobs() const;
};

// content_type is the response's Content-Type (may be empty or generic). Errors (Integrity):
// malformed JSON, missing/invalid digests or sizes, unknown media type; schema 1 gets a message
// saying it is deprecated and unsupported and to push the image with a current docker/buildx.
Expected<Manifest> parse_manifest(std::string_view bytes, std::string_view content_type);

// Writes a new index holding only the children whose platform matches one of `wanted`, plus
// attestation manifests (unknown/unknown, vnd.docker.reference.digest) that refer to a kept child.
// Other fields and member order are kept. Error (Usage) when nothing matches, listing what the
// index offers.
Expected<std::string> filter_index(std::string_view index_bytes,
                                   const std::vector<Platform>& wanted);

}  // namespace ecrm::oci
