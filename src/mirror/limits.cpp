#include "mirror/limits.hpp"

#include "util/strings.hpp"

namespace ecrm::mirror {

Status check_limits(const std::vector<ManifestToPush>& manifests,
                    const std::vector<oci::Descriptor>& blobs, const DestinationLimits& limits,
                    const std::string& destination) {
  const std::string where = destination + " (" + limits.registry_name + ")";
  for (const auto& manifest : manifests) {
    if (limits.max_layers != 0 && manifest.layers > limits.max_layers) {
      return make_error(ErrorKind::Registry,
                        "the image manifest " + manifest.digest + " has " +
                            std::to_string(manifest.layers) + " layers; " + where +
                            " refuses more than " + std::to_string(limits.max_layers) +
                            " (405 UNSUPPORTED \"Limit on number of layers per image exceeded\")",
                        "nothing was written. Mirror this image to a registry without that limit, "
                        "or rebuild it with fewer layers");
    }
  }
  for (const auto& blob : blobs) {
    if (limits.refuses_empty_blobs && blob.size == 0) {
      return make_error(ErrorKind::Registry,
                        "the blob " + blob.digest + " is empty (0 bytes); " + where +
                            " refuses empty uploads (EmptyUploadException)",
                        "nothing was written. The image must use the OCI empty descriptor "
                        "(application/vnd.oci.empty.v1+json, 2 bytes) instead of a 0-byte blob");
    }
    if (limits.max_blob_bytes != 0 &&
        static_cast<std::uint64_t>(blob.size) > limits.max_blob_bytes) {
      return make_error(ErrorKind::Registry,
                        "the blob " + blob.digest + " has " +
                            util::format_bytes(static_cast<std::uint64_t>(blob.size)) + "; " +
                            where + " takes layers of at most " +
                            util::format_bytes(limits.max_blob_bytes),
                        "nothing was written. Mirror this image to a registry without that limit");
    }
  }
  return {};
}

}  // namespace ecrm::mirror
