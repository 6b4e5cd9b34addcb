#pragma once
// What a destination registry is known to refuse, checked before the first write: an image the
// registry would reject half-way through the push would otherwise leave blobs and child manifests
// behind.
#include <string>
#include <vector>

#include "mirror/mirror.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

struct ManifestToPush {
  std::string digest;
  std::size_t layers = 0;
};

// `manifests`: every manifest of the mirrored image; `blobs`: every blob they name.
Status check_limits(const std::vector<ManifestToPush>& manifests,
                    const std::vector<oci::Descriptor>& blobs, const DestinationLimits& limits,
                    const std::string& destination);

}  // namespace ecrm::mirror
