#include "mirror/referrer_index.hpp"

#include "oci/referrers.hpp"
#include "util/log.hpp"

namespace ecrm::mirror::detail {
namespace {

// Concurrent writers get this many tries to merge one subject's tag schema index.
constexpr int kIndexAttempts = 3;

}  // namespace

Expected<std::set<std::string>> DestinationLister::listed(const std::string& subject) {
  auto cached = cache_.find(subject);
  if (cached != cache_.end()) return cached->second;
  std::set<std::string> digests;
  if (!api_absent_) {
    auto listed = destination_.list_referrers(client_, subject);
    if (!listed) return listed.error();
    if (*listed) {
      for (const auto& descriptor : **listed) digests.insert(descriptor.digest);
      return cache_[subject] = digests;
    }
    api_absent_ = true;
  }
  auto index = destination_.find_manifest(client_, oci::referrers_tag(subject));
  if (!index) return index.error();
  if (*index) {
    auto entries = oci::parse_referrers_list((*index)->bytes, (*index)->media_type);
    if (!entries) return entries.error();
    for (const auto& descriptor : *entries) digests.insert(descriptor.digest);
  }
  return cache_[subject] = digests;
}

Status merge_tag_schema_index(registry::Repository& destination, http::Client& client,
                              const std::string& subject,
                              const std::vector<oci::Descriptor>& additions) {
  const std::string tag = oci::referrers_tag(subject);
  std::set<std::string> wanted;
  for (const auto& descriptor : additions) wanted.insert(descriptor.digest);
  for (int attempt = 0; attempt < kIndexAttempts; ++attempt) {
    auto existing = destination.find_manifest(client, tag);
    if (!existing) return existing.error();
    std::set<std::string> keep = wanted;
    if (*existing) {
      auto entries = oci::parse_referrers_list((*existing)->bytes, (*existing)->media_type);
      if (!entries) {
        return make_error(ErrorKind::Integrity,
                          destination.display() + ":" + tag +
                              " is not a referrers index, so it cannot list the referrers of " +
                              subject + ": " + entries.error().message,
                          "that tag belongs to the referrers tag schema (distribution-spec 1.1); "
                          "move whatever it holds to another tag, then re-run");
      }
      for (const auto& descriptor : *entries) keep.insert(descriptor.digest);
    }
    auto merged = oci::merge_referrers_index(*existing ? (*existing)->bytes : "", additions);
    if (!merged) return merged.error();
    if (*existing && *merged == (*existing)->bytes) return {};
    http::Headers conditions;
    if (*existing)
      conditions.set("If-Match", "\"" + (*existing)->digest + "\"");
    else
      conditions.set("If-None-Match", "*");
    auto put = destination.put_manifest(client, tag, std::string(oci::media::kOciIndex), *merged,
                                        conditions);
    if (!put) {
      if (put.error().http_status == 412) continue;  // changed since read: read it again
      return put.error();
    }
    auto after = destination.find_manifest(client, tag);
    if (!after) return after.error();
    if (*after) {
      auto entries = oci::parse_referrers_list((*after)->bytes, (*after)->media_type);
      std::size_t kept = 0;
      if (entries)
        for (const auto& descriptor : *entries) kept += keep.count(descriptor.digest);
      if (kept == keep.size()) return {};
    }
    util::Log::get().info(destination.display() + ":" + tag +
                          " was rewritten by another writer while it was merged; merging again");
  }
  return make_error(ErrorKind::Registry,
                    destination.display() + ":" + oci::referrers_tag(subject) +
                        " kept changing under another writer; the referrers of " + subject +
                        " are copied but not all listed",
                    "re-run when the other writer has finished");
}

}  // namespace ecrm::mirror::detail
