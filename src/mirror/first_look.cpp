#include "mirror/first_look.hpp"

#include <future>

#include "mirror/tag_template.hpp"
#include "util/log.hpp"

namespace ecrm::mirror {
namespace {

Status pin_source(registry::Repository& source, http::Client& client, const SourcePin& pin,
                  FirstLook& look) {
  // A HEAD is free against Docker Hub's pull limit; GET only when the registry does not say the
  // digest.
  auto head = source.head_manifest(client, pin.reference);
  if (!head) return head.error();
  if (!*head) {
    return make_error(ErrorKind::NotFound,
                      "the source " + source.display() + (pin.tag.empty() ? "@" : ":") +
                          pin.reference + " does not exist",
                      "check --source: the repository, tag or digest is wrong, or the "
                      "credentials cannot see it");
  }
  look.source_digest = (*head)->digest;
  look.media_type = (*head)->media_type;
  if (!pin.pinned_digest.empty()) look.source_digest = pin.pinned_digest;
  if (look.source_digest.empty()) {
    auto fetched = fetch_manifest(source, client, pin.reference);
    if (!fetched) return fetched.error();
    look.source_digest = fetched->data.digest;
    look.root = std::move(*fetched);
  }
  return {};
}

Status ask_rolling_tags(registry::Repository& destination, http::Client& client,
                        const std::vector<std::string>& templates, const std::string& source_tag,
                        FirstLook& look) {
  auto rolling = render_rolling_tags(templates, source_tag);
  if (!rolling) return {};  // render_tags reports it, with the digest at hand
  for (const auto& tag : *rolling) {
    auto existing = destination.resolve_digest(client, tag);
    if (!existing) return existing.error();
    look.destination_tags[tag] = *existing;
  }
  return {};
}

}  // namespace

bool side_by_side(registry::Repository& source, registry::Repository& destination) {
  return source.transport().host() != destination.transport().host();
}

Expected<FirstLook> first_look(registry::Repository& source, http::Client& source_client,
                               const SourcePin& pin, registry::Repository& destination,
                               http::Client& client,
                               const std::vector<std::string>& tag_templates) {
  FirstLook look;
  if (!side_by_side(source, destination)) {
    if (auto status = pin_source(source, source_client, pin, look); !status) return status.error();
    return look;  // the destination's tags are asked for with the digest's own
  }
  FirstLook rolling;
  const std::string context = util::Log::thread_context();
  auto pinning = std::async(std::launch::async, [&] {
    util::Log::set_thread_context(context);
    return pin_source(source, source_client, pin, look);
  });
  const Status asked = ask_rolling_tags(destination, client, tag_templates, pin.tag, rolling);
  const Status pinned = pinning.get();
  // The source's failure first: it is what the run was about.
  if (!pinned) return pinned.error();
  if (!asked) return asked.error();
  look.destination_tags = std::move(rolling.destination_tags);
  return look;
}

}  // namespace ecrm::mirror
