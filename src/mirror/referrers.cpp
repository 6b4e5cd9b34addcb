#include "mirror/referrers.hpp"

#include <map>
#include <set>

#include "mirror/referrer_index.hpp"
#include "mirror/tree.hpp"
#include "oci/referrers.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"

namespace ecrm::mirror {
namespace {

using detail::DestinationLister;
using detail::Found;
using detail::merge_tag_schema_index;

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
                                        registry::Repository& destination,
                                        http::Client& source_client, http::Client& client,
                                        const ReferrerJob& job) {
  ReferrerResult result;
  if (job.policy.mode == ReferrerMode::Off) return result;
  auto& log = util::Log::get();
  const bool require = job.policy.mode == ReferrerMode::Require;
  auto discovery = detail::discover_referrers(source, source_client, job.root, job.children,
                                              job.policy, job.hints);
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
      auto digest = destination.resolve_digest(client, found.tag);
      if (!digest) return digest.error();
      present = *digest == found.listed.digest;
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
      auto node = fetch_manifest(source, source_client, item.found.listed.digest);
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
      if (auto status = collect(source, source_client, std::move(*node), 1, item.tree); !status) {
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
