// Fuzzes the manifest/index parser (oci::parse_manifest), the platform filter
// (oci::filter_index) and the referrers tag schema merge (oci::merge_referrers_index): all read
// bytes a registry served. Input layout: the first line is the
// Content-Type, the second a comma-separated platform list for filter_index, the rest the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "oci/referrers.hpp"

using namespace ecrm;

namespace {

void check_descriptor(const oci::Descriptor& descriptor) {
  // A digest that is not sha256:<64 lower hex> must never reach a registry URL.
  FUZZ_CHECK(name::is_valid_digest(descriptor.digest));
  FUZZ_CHECK(descriptor.size >= 0);
}

std::vector<oci::Platform> platforms_from(std::string_view list) {
  std::vector<oci::Platform> wanted;
  while (!list.empty() && wanted.size() < 8) {
    const std::size_t comma = list.find(',');
    auto platform = oci::parse_platform(list.substr(0, comma));
    if (platform) {
      FUZZ_CHECK(!platform->os.empty() && !platform->architecture.empty());
      wanted.push_back(*platform);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return wanted;
}

void check_manifest(const oci::Manifest& manifest) {
  FUZZ_CHECK(oci::is_index_media_type(manifest.media_type) ||
             oci::is_image_media_type(manifest.media_type));
  if (manifest.kind == oci::Manifest::Kind::Index) {
    FUZZ_CHECK(oci::is_index_media_type(manifest.media_type));
    FUZZ_CHECK(!manifest.config && manifest.layers.empty() && manifest.blobs().empty());
    for (const auto& child : manifest.manifests) check_descriptor(child);
  } else {
    FUZZ_CHECK(oci::is_image_media_type(manifest.media_type));
    FUZZ_CHECK(manifest.config.has_value() && manifest.manifests.empty());
    FUZZ_CHECK(manifest.blobs().size() == manifest.layers.size() + 1);
    for (const auto& blob : manifest.blobs()) check_descriptor(blob);
  }
  if (manifest.subject) check_descriptor(*manifest.subject);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view content_type = take_line(rest);
  const std::string_view platform_list = take_line(rest);
  const std::string_view body = rest;

  const auto manifest = oci::parse_manifest(body, content_type);
  if (!manifest) {
    FUZZ_CHECK(manifest.error().kind == ErrorKind::Integrity);
    return 0;
  }
  check_manifest(*manifest);

  // A referrers index merged with a descriptor of this very manifest keeps every entry it had
  // and adds the new one once, unless it was listed already.
  const auto descriptor = oci::referrer_descriptor(*manifest, manifest->media_type,
                                                   "sha256:" + std::string(64, 'e'), 1);
  const auto merged = oci::merge_referrers_index(body, {descriptor, descriptor});
  if (manifest->kind == oci::Manifest::Kind::Index) {
    FUZZ_CHECK(merged.ok());
    const auto listed = oci::parse_referrers_list(*merged, "");
    FUZZ_CHECK(listed.ok());
    std::size_t ours = 0, before = 0;
    for (const auto& entry : *listed) ours += entry.digest == descriptor.digest;
    for (const auto& entry : manifest->manifests) before += entry.digest == descriptor.digest;
    FUZZ_CHECK(ours == (before == 0 ? 1 : before));
    FUZZ_CHECK(listed->size() >= manifest->manifests.size());
  } else {
    FUZZ_CHECK(!merged.ok());
  }

  const auto wanted = platforms_from(platform_list);
  const auto filtered = oci::filter_index(body, wanted);
  if (!filtered) {
    FUZZ_CHECK(filtered.error().kind == ErrorKind::Usage ||
               filtered.error().kind == ErrorKind::Integrity);
    return 0;
  }
  // filter_index reads the body alone (no Content-Type), so compare with what the body says.
  const auto body_only = oci::parse_manifest(body, "");
  FUZZ_CHECK(body_only.ok() && body_only->kind == oci::Manifest::Kind::Index);
  if (wanted.empty()) {
    // No filter: the bytes, and so the digest, are the source's.
    FUZZ_CHECK(*filtered == body);
    return 0;
  }
  // A filtered index is pushed as a new manifest: it must parse, be an index, hold at least one
  // child, and hold only children of the original.
  const auto reparsed = oci::parse_manifest(*filtered, "");
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->kind == oci::Manifest::Kind::Index);
  FUZZ_CHECK(!reparsed->manifests.empty());
  FUZZ_CHECK(reparsed->manifests.size() <= body_only->manifests.size());
  for (const auto& child : reparsed->manifests) {
    bool found = false;
    for (const auto& original : body_only->manifests)
      found = found || original.digest == child.digest;
    FUZZ_CHECK(found);
  }
  // Filtering what was already filtered keeps it as it is.
  const auto again = oci::filter_index(*filtered, wanted);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *filtered);
  return 0;
}
