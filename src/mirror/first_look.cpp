#include "mirror/first_look.hpp"

#include <future>

#include "mirror/referrers.hpp"
#include "mirror/tag_template.hpp"
#include "util/log.hpp"

namespace ecrm::mirror {
namespace {

Status pin_source(registry::Repository& source, http::Client& client,
                  const FirstLookRequest& request, FirstLook& look) {
  // A HEAD is free against Docker Hub's pull limit; GET only when the registry does not say the
  // digest.
  auto head = source.head_manifest(client, request.reference);
  if (!head) return head.error();
  if (!*head) {
    return make_error(ErrorKind::NotFound,
                      "the source " + source.display() + (request.source_tag.empty() ? "@" : ":") +
                          request.reference + " does not exist",
                      "check --source: the repository, tag or digest is wrong, or the "
                      "credentials cannot see it");
  }
  look.source_digest = (*head)->digest;
  look.media_type = (*head)->media_type;
  if (!request.pinned_digest.empty()) look.source_digest = request.pinned_digest;
  if (look.source_digest.empty()) {
    auto fetched = fetch_manifest(source, client, request.reference);
    if (!fetched) return fetched.error();
    look.source_digest = fetched->data.digest;
    look.root = std::move(*fetched);
  }
  return {};
}

// `tags` not asked yet → their digests at the destination.
Status ask_tags(registry::Repository& destination, http::Client& client,
                const std::vector<std::string>& tags, std::map<std::string, std::string>& asked) {
  for (const auto& tag : tags) {
    if (asked.count(tag) != 0) continue;
    auto existing = destination.resolve_digest(client, tag);
    if (!existing) return existing.error();
    asked[tag] = *existing;
  }
  return {};
}

}  // namespace

Expected<FirstLook> first_look(registry::Repository& source, http::Client& source_client,
                               registry::Repository& destination, http::Client& client,
                               const FirstLookRequest& request) {
  FirstLook look;
  if (source.transport().host() == destination.transport().host()) {
    // One registry: two first requests at once would both meet its 401.
    if (auto status = pin_source(source, source_client, request, look); !status)
      return status.error();
    return look;
  }
  const std::string context = util::Log::thread_context();
  std::future<Expected<registry::Repository::TagList>> listing;
  if (request.list_source_tags) {
    listing = std::async(std::launch::async, [&] {
      util::Log::set_thread_context(context);
      http::Client own(request.http);
      return source.list_tags(own, kReferrerTagPages);
    });
  }
  // The source's side: the pin, said as soon as known, then the root's referrers.
  FirstLook pinned;
  std::promise<Status> digest;
  auto digest_known = digest.get_future();
  auto source_side = std::async(std::launch::async, [&] {
    util::Log::set_thread_context(context);
    Status status;
    try {
      status = pin_source(source, source_client, request, pinned);
    } catch (...) {
      digest.set_exception(std::current_exception());  // the waiter rethrows it
      throw;
    }
    const bool ok = static_cast<bool>(status);
    digest.set_value(status);
    if (ok && request.ask_root_referrers)
      pinned.root_referrers = source.list_referrers(source_client, pinned.source_digest);
  });

  // The destination's side, here: the rolling tags, then those that carry the digest.
  std::map<std::string, std::string> asked;
  Status destination_status;
  if (auto rolling = render_rolling_tags(request.tag_templates, request.source_tag); rolling)
    destination_status = ask_tags(destination, client, *rolling, asked);
  const Status pin_status = digest_known.get();
  if (pin_status && destination_status && !request.platform_filter) {
    auto all =
        render_tags(request.tag_templates, tag_context(request.source_tag, pinned.source_digest));
    if (all) destination_status = ask_tags(destination, client, *all, asked);
  }
  source_side.get();
  if (listing.valid()) pinned.source_tags = listing.get();
  // The source's failure first: it is what the run was about.
  if (!pin_status) return pin_status.error();
  if (!destination_status) return destination_status.error();
  pinned.destination_tags = std::move(asked);
  return pinned;
}

}  // namespace ecrm::mirror
