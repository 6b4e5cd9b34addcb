#include "mirror/tree.hpp"

namespace ecrm::mirror {
namespace {

// OCI image-spec allows nesting indexes; real images nest one level at most. A bound stops a
// hostile registry from sending us round in circles.
constexpr int kMaxIndexDepth = 4;

}  // namespace

Expected<Node> fetch_manifest(registry::Repository& source, http::Client& client,
                              const std::string& digest) {
  auto data = source.get_manifest(client, digest);
  if (!data) return data.error();
  auto parsed = oci::parse_manifest(data->bytes, data->media_type);
  if (!parsed) {
    Error e = parsed.error();
    e.message = source.display() + "@" + digest + ": " + e.message;
    return e;
  }
  data->media_type = parsed->media_type;
  return Node{std::move(*data), std::move(*parsed)};
}

Status collect(registry::Repository& source, http::Client& client, Node node, int depth,
               Tree& tree) {
  if (node.parsed.kind == oci::Manifest::Kind::Image) {
    for (auto& blob : node.parsed.blobs()) tree.blobs.push_back(blob);
    tree.nodes.push_back(std::move(node));
    return {};
  }
  if (depth >= kMaxIndexDepth) {
    return make_error(ErrorKind::Integrity, source.display() + ": indexes nested deeper than " +
                                                std::to_string(kMaxIndexDepth) + " levels");
  }
  for (const auto& child : node.parsed.manifests) {
    if (depth == 0 && child.platform && child.platform->os != "unknown")
      tree.platforms.push_back(*child.platform);
    auto fetched = fetch_manifest(source, client, child.digest);
    if (!fetched) return fetched.error();
    if (static_cast<std::int64_t>(fetched->data.bytes.size()) != child.size) {
      return make_error(ErrorKind::Integrity,
                        source.display() + "@" + child.digest + ": the index declares " +
                            std::to_string(child.size) + " bytes but the manifest has " +
                            std::to_string(fetched->data.bytes.size()));
    }
    if (auto status = collect(source, client, std::move(*fetched), depth + 1, tree); !status)
      return status;
  }
  tree.nodes.push_back(std::move(node));
  return {};
}

}  // namespace ecrm::mirror
