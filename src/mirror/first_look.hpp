#pragma once
// The first requests of a mirror: the source's digest, pinned with a HEAD, and what the
// destination's rolling tags hold, which needs no digest. Two registries are asked side by side,
// each on its own connection: each side's round trips (its sign-in included) overlap the
// other's, so an unchanged image costs the longer side's, not their sum.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "mirror/tree.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

struct SourcePin {
  std::string reference;      // the tag or digest to resolve
  std::string tag;            // the source tag, for messages; empty when given by digest
  std::string pinned_digest;  // the digest the user gave, if any: it wins over the HEAD's
};

struct FirstLook {
  std::string source_digest;
  std::string media_type;    // as the source's HEAD said it; may be empty
  std::optional<Node> root;  // read when the HEAD did not say the digest
  std::map<std::string, std::string> destination_tags;  // rolling tag → its digest ("" none)
};

// Side by side unless both repositories are on one registry host: two first requests at once
// would both meet its 401. A missing source is a NotFound error naming it.
Expected<FirstLook> first_look(registry::Repository& source, http::Client& source_client,
                               const SourcePin& pin, registry::Repository& destination,
                               http::Client& client, const std::vector<std::string>& tag_templates);

// Whether first_look asks the two registries at once (and the run may go on so).
bool side_by_side(registry::Repository& source, registry::Repository& destination);

}  // namespace ecrm::mirror
