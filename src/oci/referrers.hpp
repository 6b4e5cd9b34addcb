#pragma once
// OCI referrers (distribution-spec 1.1 §"Listing Referrers", §"Referrers Tag Schema", §"Pushing
// Manifests with Subject"; image-spec 1.1 manifest.md `subject`, `artifactType`) and cosign's tag
// convention (sigstore/cosign: `sha256-<hex>.sig|.att|.sbom`). Pure, no I/O.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::oci {

// The referrers tag schema's tag for a subject: `<alg>-<ref>`, the algorithm truncated to 32
// characters and the encoded digest to 64.
std::string referrers_tag(std::string_view subject_digest);

// The tags cosign writes for a subject, in the order they are looked for.
inline constexpr std::string_view kCosignSuffixes[] = {"sig", "att", "sbom"};
std::string cosign_tag(std::string_view subject_digest, std::string_view suffix);

// A tag that names a subject: the referrers tag schema (suffix empty) or a cosign tag.
struct SubjectTag {
  std::string subject_digest;
  std::string suffix;  // "", "sig", "att" or "sbom"
};
std::optional<SubjectTag> parse_subject_tag(std::string_view tag);

// The descriptor a referrers list holds for a manifest (§"Pushing Manifests with Subject", step
// 5): artifactType from the manifest, else its config's mediaType; every annotation of the
// manifest.
Descriptor referrer_descriptor(const Manifest& manifest, const std::string& media_type,
                               const std::string& digest, std::int64_t size);

// The descriptors of a referrers list: the API's answer or a tag schema index. Integrity error
// when it is not an image index.
Expected<std::vector<Descriptor>> parse_referrers_list(std::string_view bytes,
                                                       std::string_view content_type);

// A tag schema index holding every entry of `existing` as it was (fields we do not know
// included, order kept) followed by the additions it did not list. `existing` empty: a new
// index. Integrity error when `existing` is not an image index.
Expected<std::string> merge_referrers_index(std::string_view existing,
                                            const std::vector<Descriptor>& additions);

// Whether a referrer passes an artifact-type allow-list (empty: all): its artifactType, its
// config's media type or one of its layers' media types is listed. cosign's signatures carry no
// artifactType, so their layer type (application/vnd.dev.cosign.simplesigning.v1+json) is what a
// user can name.
bool artifact_type_allowed(const std::vector<std::string>& allowed, const Manifest& manifest);
bool artifact_type_allowed(const std::vector<std::string>& allowed, const Descriptor& listed);

}  // namespace ecrm::oci
