#pragma once
// Signatures, attestations and SBOMs that travel with the image: the OCI referrers of every
// mirrored manifest (distribution-spec 1.1 §"Listing Referrers", with the referrers tag schema
// where a registry lacks the API) and cosign's `sha256-<hex>.sig|.att|.sbom` tags, referrers of
// referrers too (depth-bounded). Each is copied byte for byte after its subject exists at the
// destination; where the destination does not index subjects (no OCI-Subject on the PUT) the
// tag schema index is merged, never dropping what others listed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "mirror/blob_copier.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

enum class ReferrerMode {
  Off,
  Auto,     // copy what exists; a listing that fails is a warning, so is a copy that fails
  Require,  // any listing or copy that fails fails the run, before the tags move
};

struct ReferrerPolicy {
  ReferrerMode mode = ReferrerMode::Auto;
  std::vector<std::string> artifact_types;  // allow-list (oci::artifact_type_allowed); empty: all
  int max_depth = 3;                        // a signature on an SBOM on an image is depth 2
};

enum class ReferrerOutcome { Copied, Present, Skipped };

struct ReferrerRecord {
  std::string digest;
  std::string subject;  // the digest it refers to
  std::string artifact_type;
  std::string found_by;  // "referrers API", "tag schema", "cosign tag"
  std::string tag;       // the cosign tag that names it; "" otherwise
  int depth = 1;         // 1: refers to a mirrored manifest; 2: to a referrer of one …
  ReferrerOutcome outcome = ReferrerOutcome::Skipped;
  std::string reason;  // why skipped
};

struct ReferrerResult {
  std::vector<ReferrerRecord> records;
  std::vector<std::string> listing_failures;  // under auto: what could not be listed, and why
  BlobStats blobs;
  std::uint64_t manifests_pushed = 0;
  std::uint64_t indexes_written = 0;  // tag schema indexes merged at the destination
  std::size_t count(ReferrerOutcome outcome) const;
};

// What a run already knows of the source (a many-images run shares it between images): its
// repository's tag listing, and whether its registry serves the referrers API. Saves the listing
// and the probe that each image would otherwise pay, or their round trips.
struct SourceHints {
  // Called when the tags are first needed: the listing as the run got it (an error or a list cut
  // at its page limit included), used as if the referrers check had asked; null: list them here.
  std::function<const Expected<registry::Repository::TagList>*()> listing;
  std::shared_ptr<std::atomic<int>> api;  // 0 unknown, 1 served, 2 absent
  // The referrers API's answer for one subject, asked for before the check ran (a single image
  // asks for its root's while the destination answers for its tags): used as if asked here.
  std::string answered_subject;
  std::shared_ptr<const Expected<std::optional<std::vector<oci::Descriptor>>>> answered;
};

// 20 pages of 1000: the cosign tags of repositories with more tags are looked for one by one.
inline constexpr std::size_t kReferrerTagPages = 20;

// The mirrored manifests' digests, read only when they could have referrers.
using SubjectSource = std::function<Expected<std::vector<std::string>>()>;

struct ReferrerJob {
  // Mirrored manifests that exist at the destination: the root (empty when a platform filter
  // rewrote it: nothing refers to the new index yet) first, then `children` (the root index's
  // platform children), which are not asked for when the source shows that nothing has
  // referrers: no referrers API and no sha256-<hex>[.sig|.att|.sbom] tag at all.
  std::string root;
  SubjectSource children;
  ReferrerPolicy policy;
  BlobCopyConfig copy;
  bool dry_run = false;
  SourceHints hints;
};

// Finds, compares and copies. Errors only under `require` (or cancellation); under auto the
// failures are in the records and listing_failures. `source_client` reads the source,
// `client` writes the destination.
Expected<ReferrerResult> sync_referrers(registry::Repository& source,
                                        registry::Repository& destination,
                                        http::Client& source_client, http::Client& client,
                                        const ReferrerJob& job);

// The root index's platform children, whose referrers travel too. Attestation manifests
// (unknown/unknown) are left out: nothing attaches to them, and each would cost a listing.
std::vector<std::string> referrer_children(const oci::Manifest& root);

namespace detail {

// A referrer found on the source, before it is compared with the destination.
struct Found {
  oci::Descriptor listed;  // digest "" for a cosign tag until resolved
  std::string subject;
  std::string found_by;
  std::string tag;
  int depth = 1;
};

struct Discovery {
  std::vector<Found> found;              // breadth first: a referrer's subject comes before it
  std::vector<ReferrerRecord> filtered;  // left out by the artifact-type allow-list
  std::vector<std::string> listing_failures;
};

// The source side: lists every subject's referrers (API, else tag schema) and cosign tags.
Expected<Discovery> discover_referrers(registry::Repository& source, http::Client& client,
                                       const std::string& root, const SubjectSource& children,
                                       const ReferrerPolicy& policy, const SourceHints& hints = {});

}  // namespace detail
}  // namespace ecrm::mirror
