#pragma once
// Reading an image's manifests from the source: the root and, for an index, every child (nested
// indexes too), children before their parents so they can be pushed in dependency order.
#include <string>
#include <vector>

#include "http/client.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

struct Node {
  registry::ManifestData data;
  oci::Manifest parsed;
};

struct Tree {
  std::vector<Node> nodes;  // post-order: the root is last
  std::vector<oci::Descriptor> blobs;
  std::vector<oci::Platform> platforms;  // of the root index's children
};

// GET by digest and parse; the media type becomes the parsed one.
Expected<Node> fetch_manifest(registry::Repository& source, http::Client& client,
                              const std::string& digest);

// Adds `node` and everything below it to `tree` (depth: 0 for a root).
Status collect(registry::Repository& source, http::Client& client, Node node, int depth,
               Tree& tree);

}  // namespace ecrm::mirror
