#pragma once
// The first requests of a mirror: the source's digest, pinned with a HEAD, and what the
// destination's tags hold. Two registries are asked side by side, each on its own connection:
// the destination's rolling tags (which need no digest) while the source answers, the tags that
// carry the digest as soon as it is known, and meanwhile what the referrers check will read of the
// source (its tag listing, the root's referrers). Each side's round trips, its sign-in included,
// overlap the other's: an unchanged image costs three round trips, not five after each other.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "mirror/tree.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

struct FirstLookRequest {
  std::string reference;      // the tag or digest to resolve at the source
  std::string source_tag;     // for {tag} and messages; empty when given by digest
  std::string pinned_digest;  // the digest the user gave, if any: it wins over the HEAD's
  std::vector<std::string> tag_templates;
  bool platform_filter = false;   // the mirrored digest will not be the source's: rolling tags only
  bool list_source_tags = false;  // the referrers check will read the source's tag listing
  bool ask_root_referrers = false;  // … and the referrers API's answer for the source digest
  http::ClientConfig http;          // for the listing's own connection
};

using ReferrersAnswer = Expected<std::optional<std::vector<oci::Descriptor>>>;

struct FirstLook {
  std::string source_digest;
  std::string media_type;    // as the source's HEAD said it; may be empty
  std::optional<Node> root;  // read when the HEAD did not say the digest
  std::map<std::string, std::string> destination_tags;  // tag → its digest ("" none), as asked
  std::optional<Expected<registry::Repository::TagList>> source_tags;
  std::optional<ReferrersAnswer> root_referrers;  // for source_digest
};

// Side by side unless both repositories are on one registry host (then only the pin, and the
// rest is asked later in order). A missing source is a NotFound error naming it, reported before
// anything the destination said.
Expected<FirstLook> first_look(registry::Repository& source, http::Client& source_client,
                               registry::Repository& destination, http::Client& client,
                               const FirstLookRequest& request);

}  // namespace ecrm::mirror
