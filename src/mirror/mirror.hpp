#pragma once
// The mirror algorithm: pin the source digest with one HEAD, compare with the destination's tags,
// and copy only what is missing — blobs, then child manifests, then the index, tags last
// (immutable before rolling), then check the tags.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mirror/blob_copier.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

struct MirrorRequest {
  std::string source_reference;  // the tag or digest to resolve at the source
  std::string source_tag;        // for {tag}; empty when given by digest
  std::string pinned_digest;     // the digest the user gave, if any
  std::vector<std::string> tag_templates;
  std::vector<oci::Platform> platforms;  // empty: all, byte for byte
  bool dry_run = false;
  bool force = false;
  BlobCopyConfig copy;
};

struct MirrorResult {
  std::string source_digest;
  std::string mirrored_digest;
  std::string media_type;
  std::vector<std::string> tags;         // every destination tag, in push order
  std::vector<std::string> tags_pushed;  // those written in this run
  bool changed = false;
  bool dry_run = false;
  std::vector<oci::Platform> platforms;  // what the mirrored index holds (for catalog data)
  std::uint64_t manifests_pushed = 0;
  BlobStats blobs;
  double seconds = 0;
};

// Called after the source digest is known and before anything is written (AWS: create the
// repository). May be empty.
using BeforeWrite = std::function<Status(const std::vector<oci::Platform>& platforms)>;

Expected<MirrorResult> run_mirror(registry::Repository& source, registry::Repository& destination,
                                  const MirrorRequest& request, const BeforeWrite& before_write);

}  // namespace ecrm::mirror
