#include "mirror/referrers.hpp"

#include <map>
#include <set>

#include "mirror/tree.hpp"
#include "oci/referrers.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"

namespace ecrm::mirror {
namespace {

using detail::Found;

// Concurrent writers get this many tries to merge one subject's tag schema index.
constexpr int kIndexAttempts = 3;

// What a user recognises: artifactType, else the config's type, else (cosign, whose config is a
// generic image config) the first layer's type.
std::string display_type(const oci::Manifest& manifest) {
  if (!manifest.artifact_type.empty()) return manifest.artifact_type;
  if (manifest.config &&
      manifest.config->media_type != "application/vnd.oci.image.config.v1+json" &&
      manifest.config->media_type != "application/vnd.docker.container.image.v1+json")
    return manifest.config->media_type;
  if (!manifest.layers.empty()) return manifest.layers.front().media_type;
  return manifest.config ? manifest.config->media_type : std::string();
}

// What the destination lists for one subject: by the referrers API where it serves it, else the
// tag schema index.
class DestinationLister {
 public:
  DestinationLister(registry::Repository& destination, http::Client& client)
      : destination_(destination), client_(client) {}

  // The digests listed for `subject`; an error when they cannot be read (the caller then copies:
  // every write is idempotent).
  Expected<std::set<std::string>> listed(const std::string& subject) {
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

 private:
  registry::Repository& destination_;
  http::Client& client_;
  bool api_absent_ = false;
  std::map<std::string, std::set<std::string>> cache_;
};

// §"Pushing Manifests with Subject", steps 1–6, for a registry that did not answer OCI-Subject:
// read the tag schema index, add what is missing, write it back conditionally (If-Match on what
// was read, If-None-Match when there was nothing), then read it again: a writer that replaced it
// in between (registries that ignore conditional requests) is merged with once more.
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

struct Copying {
  Found found;
  std::size_t record;  // index into result.records
  Tree tree;
};

}  // namespace

std::vector<std::string> referrer_children(const oci::Manifest& root) {
  std::vector<std::string> subjects;
  for (const auto& child : root.manifests) {
    if (child.platform && child.platform->os == "unknown") continue;
    if (!child.reference_digest.empty()) continue;
    subjects.push_back(child.digest);
  }
  return subjects;
}

std::size_t ReferrerResult::count(ReferrerOutcome outcome) const {
  std::size_t n = 0;
  for (const auto& record : records) n += record.outcome == outcome;
  return n;
}

Expected<ReferrerResult> sync_referrers(registry::Repository& source,
                                        registry::Repository& destination, http::Client& client,
                                        const ReferrerJob& job) {
  ReferrerResult result;
  if (job.policy.mode == ReferrerMode::Off) return result;
  auto& log = util::Log::get();
  const bool require = job.policy.mode == ReferrerMode::Require;
  auto discovery = detail::discover_referrers(source, client, job.root, job.children, job.policy);
  if (!discovery) return discovery.error();
  result.records = std::move(discovery->filtered);
  result.listing_failures = std::move(discovery->listing_failures);

  // A failure under auto: the referrer is skipped with the reason, and so is all that refers to it.
  std::set<std::string> not_copied;
  for (const auto& record : result.records) not_copied.insert(record.digest);
  auto skip = [&](std::size_t index, const std::string& reason) -> Status {
    auto& record = result.records[index];
    if (require) {
      return make_error(
          ErrorKind::Registry,
          "referrer " + record.digest + " of " + record.subject + " could not be copied: " + reason,
          "re-run; or use --referrers auto to mirror the image without it");
    }
    record.outcome = ReferrerOutcome::Skipped;
    record.reason = reason;
    not_copied.insert(record.digest);
    log.warning("referrer " + record.digest + " of " + record.subject + " not copied: " + reason);
    return {};
  };

  DestinationLister lister(destination, client);
  std::map<int, std::vector<Copying>> by_depth;
  for (auto& found : discovery->found) {
    ReferrerRecord record;
    record.digest = found.listed.digest;
    record.subject = found.subject;
    record.artifact_type = found.listed.artifact_type;
    record.found_by = found.found_by;
    record.tag = found.tag;
    record.depth = found.depth;
    result.records.push_back(std::move(record));
    const std::size_t index = result.records.size() - 1;
    if (not_copied.count(found.subject) != 0) {
      if (auto status = skip(index, "its subject " + found.subject + " was not copied"); !status)
        return status.error();
      continue;
    }
    bool present = false;
    if (!found.tag.empty()) {
      auto head = destination.head_manifest(client, found.tag);
      if (!head) return head.error();
      present = *head && (*head)->digest == found.listed.digest;
    } else if (auto listed = lister.listed(found.subject)) {
      present = listed->count(found.listed.digest) != 0;
    } else {
      log.info("cannot list the referrers of " + found.subject + " at " + destination.display() +
               " (" + listed.error().message + "); copying them (idempotent)");
    }
    if (present) {
      result.records[index].outcome = ReferrerOutcome::Present;
      continue;
    }
    by_depth[found.depth].push_back({std::move(found), index, {}});
  }

  // Depth by depth, so that a referrer's subject is always at the destination before it.
  std::map<std::string, std::vector<oci::Descriptor>> index_additions;
  for (auto& [depth, batch] : by_depth) {
    std::vector<oci::Descriptor> blobs;
    std::vector<Copying*> ready;
    for (auto& item : batch) {
      if (not_copied.count(item.found.subject) != 0) {
        if (auto status =
                skip(item.record, "its subject " + item.found.subject + " was not copied");
            !status)
          return status.error();
        continue;
      }
      auto node = fetch_manifest(source, client, item.found.listed.digest);
      if (!node) {
        if (auto status = skip(item.record, node.error().message); !status) return status.error();
        continue;
      }
      auto& record = result.records[item.record];
      record.artifact_type = display_type(node->parsed);
      if (!oci::artifact_type_allowed(job.policy.artifact_types, node->parsed)) {
        record.reason = "its artifact type is not in referrer-types";
        not_copied.insert(record.digest);
        continue;
      }
      if (item.found.tag.empty() &&
          (!node->parsed.subject || node->parsed.subject->digest != item.found.subject)) {
        std::string reason = "it is listed as a referrer of " + item.found.subject +
                             " but its subject field says " +
                             (node->parsed.subject ? node->parsed.subject->digest : "nothing");
        if (auto status = skip(item.record, reason); !status) return status.error();
        continue;
      }
      if (auto status = collect(source, client, std::move(*node), 1, item.tree); !status) {
        if (auto skipped = skip(item.record, status.error().message); !skipped)
          return skipped.error();
        continue;
      }
      blobs.insert(blobs.end(), item.tree.blobs.begin(), item.tree.blobs.end());
      ready.push_back(&item);
    }
    if (ready.empty()) continue;
    auto stats = copy_blobs(source, destination, blobs, job.copy);
    if (!stats) {
      if (stats.error().kind == ErrorKind::Cancelled) return stats.error();
      for (Copying* item : ready)
        if (auto status = skip(item->record, stats.error().message); !status) return status.error();
      continue;
    }
    result.blobs.present += stats->present;
    result.blobs.mounted += stats->mounted;
    result.blobs.copied += stats->copied;
    result.blobs.bytes_copied += stats->bytes_copied;
    result.blobs.bytes_present += stats->bytes_present;
    for (Copying* item : ready) {
      auto& record = result.records[item->record];
      if (job.dry_run) {
        record.outcome = ReferrerOutcome::Copied;
        continue;
      }
      Status pushed;
      std::string subject_indexed;
      for (const auto& node : item->tree.nodes) {
        auto put = destination.put_manifest(client, node.data.digest, node.data.media_type,
                                            node.data.bytes);
        if (!put) {
          pushed = put.error();
          break;
        }
        subject_indexed = *put;
        ++result.manifests_pushed;
      }
      const Node& top = item->tree.nodes.back();
      if (pushed && !item->found.tag.empty()) {
        auto put =
            destination.put_manifest(client, item->found.tag, top.data.media_type, top.data.bytes);
        if (!put) pushed = put.error();
      }
      if (!pushed) {
        if (auto status = skip(item->record, pushed.error().message); !status)
          return status.error();
        continue;
      }
      record.outcome = ReferrerOutcome::Copied;
      log.info("copied referrer " + record.digest + " (" + record.artifact_type + ", " +
               record.found_by + ") of " + record.subject);
      if (top.parsed.subject && subject_indexed.empty()) {
        index_additions[item->found.subject].push_back(
            oci::referrer_descriptor(top.parsed, top.data.media_type, top.data.digest,
                                     static_cast<std::int64_t>(top.data.bytes.size())));
      }
    }
  }

  for (const auto& [subject, additions] : index_additions) {
    if (auto status = merge_tag_schema_index(destination, client, subject, additions); !status) {
      if (require) return status.error();
      log.warning(status.error().message);
      result.listing_failures.push_back(status.error().message);
      continue;
    }
    ++result.indexes_written;
  }
  return result;
}

}  // namespace ecrm::mirror
