#pragma once
// The mirror algorithm: pin the source digest with one HEAD, compare with the destination's tags,
// and copy only what is missing — blobs, then child manifests, then the index, tags last
// (immutable before rolling), then check the tags.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "mirror/blob_copier.hpp"
#include "mirror/referrers.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

// What the destination registry will refuse, checked before the first write so that a refusal
// never leaves part of an image behind. Empty: a registry that takes what the spec allows.
struct DestinationLimits {
  std::string registry_name;         // "ECR Public", for messages
  bool refuses_empty_blobs = false;  // ECR: CompleteLayerUpload's EmptyUploadException
  std::size_t max_layers = 0;        // per image manifest; 0: no limit
  std::uint64_t max_blob_bytes = 0;  // 0: no limit
};

struct MirrorRequest {
  std::string source_reference;  // the tag or digest to resolve at the source
  std::string source_tag;        // for {tag}; empty when given by digest
  std::string pinned_digest;     // the digest the user gave, if any
  std::vector<std::string> tag_templates;
  std::vector<oci::Platform> platforms;  // empty: all, byte for byte
  bool dry_run = false;
  bool force = false;
  BlobCopyConfig copy;
  DestinationLimits limits;
  ReferrerPolicy referrers;
  SourceHints source_hints;
  // The manifest requests' connections, one for the destination and one for the source, which
  // are asked side by side: a many-images run passes each worker's, so that images after the first
  // reuse its connections (TCP and TLS) to the registries. Null: one of its own.
  http::Client* client = nullptr;
  http::Client* source_client = nullptr;
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
  // The image's blobs (digest, size), when its manifests were read: a plan groups images by them.
  std::vector<std::pair<std::string, std::uint64_t>> blobs_read;
  ReferrerResult referrers;
  double seconds = 0;
};

// What the run is about to write, for the check before the first write.
struct WritePlan {
  std::vector<oci::Platform> platforms;   // of the mirrored index (ECR Public catalog data)
  std::vector<std::string> tags_to_move;  // exist at the destination, pointing elsewhere
  std::vector<std::string> tags_to_create;
};

// Called after the source is read and before anything is written (AWS: create the repository,
// refuse to move a tag that the repository keeps immutable). May be empty.
using BeforeWrite = std::function<Status(const WritePlan& plan)>;

Expected<MirrorResult> run_mirror(registry::Repository& source, registry::Repository& destination,
                                  const MirrorRequest& request, const BeforeWrite& before_write);

}  // namespace ecrm::mirror
