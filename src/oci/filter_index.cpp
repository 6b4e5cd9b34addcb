// --platforms LIST: a new index holding only the wanted children (and their attestations). The
// rest of the document is kept member for member, so only the manifests array differs.
#include <algorithm>
#include <set>

#include "oci/manifest.hpp"
#include "util/json.hpp"
#include "util/strings.hpp"

namespace ecrm::oci {

using util::Json;

namespace {

bool is_attestation(const Descriptor& child) {
  return !child.reference_digest.empty() || child.reference_type == "attestation-manifest" ||
         (child.platform && child.platform->os == "unknown" &&
          child.platform->architecture == "unknown");
}

}  // namespace

Expected<std::string> filter_index(std::string_view index_bytes,
                                   const std::vector<Platform>& wanted) {
  auto manifest = parse_manifest(index_bytes, "");
  if (!manifest) return manifest.error();
  if (manifest->kind != Manifest::Kind::Index) {
    return make_error(ErrorKind::Integrity,
                      "cannot filter platforms: the manifest is not an image index");
  }
  // Nothing asked for: hand back the original bytes so the digest stays the same.
  if (wanted.empty()) return std::string(index_bytes);

  auto root = Json::parse(index_bytes);
  if (!root) return root.error();  // parse_manifest succeeded, so this does not happen
  const std::vector<Json>& child_json = root->find("manifests")->items();
  const std::vector<Descriptor>& children = manifest->manifests;

  std::vector<bool> keep(children.size(), false);
  std::set<std::string> kept_digests;
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (!children[i].platform || is_attestation(children[i])) continue;
    for (const Platform& platform : wanted) {
      if (platform_matches(platform, *children[i].platform)) {
        keep[i] = true;
        kept_digests.insert(children[i].digest);
        break;
      }
    }
  }
  if (kept_digests.empty()) {
    std::vector<std::string> offered;
    for (const Descriptor& child : children) {
      if (!child.platform || is_attestation(child)) continue;
      std::string name = child.platform->str();
      if (std::find(offered.begin(), offered.end(), name) == offered.end()) offered.push_back(name);
    }
    std::vector<std::string> asked;
    for (const Platform& platform : wanted) asked.push_back(platform.str());
    return make_error(
        ErrorKind::Usage,
        "none of the requested platforms (" + util::join(asked, ", ") +
            ") is in the image index; it offers: " +
            (offered.empty() ? std::string("no platforms") : util::join(offered, ", ")),
        "choose platforms from that list, or leave platforms empty to copy them all");
  }
  // Buildx attestations (unknown/unknown) are separate children pointing at their image through
  // vnd.docker.reference.digest; keeping them with their image keeps provenance/SBOM intact.
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (!keep[i] && !children[i].reference_digest.empty() &&
        kept_digests.count(children[i].reference_digest) != 0) {
      keep[i] = true;
    }
  }

  Json filtered = Json::array();
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (keep[i]) filtered.push(child_json[i]);
  }
  root->set("manifests", std::move(filtered));
  return root->dump();
}

}  // namespace ecrm::oci
