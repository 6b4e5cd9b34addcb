#include "mirror/mirror.hpp"

#include <chrono>
#include <optional>
#include <set>

#include "mirror/first_look.hpp"
#include "mirror/limits.hpp"
#include "mirror/tag_template.hpp"
#include "mirror/tree.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::mirror {
namespace {

// Referrers travel once their subjects exist at the destination, before any tag moves.
// `root` gives the index's children; it is called only when they could have referrers.
Status copy_referrers(registry::Repository& source, registry::Repository& destination,
                      http::Client& source_client, http::Client& client,
                      const MirrorRequest& request, const SourceHints& hints,
                      const std::function<Expected<oci::Manifest>()>& root, MirrorResult& result) {
  if (request.referrers.mode == ReferrerMode::Off) return {};
  auto& log = util::Log::get();
  const bool rewritten = result.mirrored_digest != result.source_digest;
  if (rewritten) {
    log.info("referrers of the source index " + result.source_digest +
             " are not copied: --platforms wrote a new index, which they do not refer to");
  }
  ReferrerJob job;
  job.root = rewritten ? std::string() : result.mirrored_digest;
  job.children = [&]() -> Expected<std::vector<std::string>> {
    auto manifest = root();
    if (!manifest) return manifest.error();
    return referrer_children(*manifest);
  };
  job.policy = request.referrers;
  job.copy = request.copy;
  job.dry_run = request.dry_run;
  job.hints = hints;
  log.group_begin("Referrers");
  auto synced = sync_referrers(source, destination, source_client, client, job);
  log.group_end();
  if (!synced) return synced.error();
  result.referrers = std::move(*synced);
  const auto& r = result.referrers;
  const std::size_t copied = r.count(ReferrerOutcome::Copied);
  if (copied > 0 && !request.dry_run) result.changed = true;
  log.info("referrers: " + std::to_string(r.records.size()) + " found, " + std::to_string(copied) +
           (request.dry_run ? " to copy, " : " copied, ") +
           std::to_string(r.count(ReferrerOutcome::Present)) + " already present, " +
           std::to_string(r.count(ReferrerOutcome::Skipped)) + " skipped" +
           (r.listing_failures.empty()
                ? std::string()
                : "; " + std::to_string(r.listing_failures.size()) + " listings failed"));
  return {};
}

}  // namespace

Expected<MirrorResult> run_mirror(registry::Repository& source, registry::Repository& destination,
                                  const MirrorRequest& request, const BeforeWrite& before_write) {
  const auto started = std::chrono::steady_clock::now();
  auto& log = util::Log::get();
  std::optional<http::Client> own_client;
  std::optional<http::Client> own_source_client;
  if (!request.client) own_client.emplace(request.copy.http);
  if (!request.source_client) own_source_client.emplace(request.copy.http);
  http::Client& client = request.client ? *request.client : *own_client;
  http::Client& source_client = request.source_client ? *request.source_client : *own_source_client;
  MirrorResult result;
  result.dry_run = request.dry_run;

  // 1. Pin the source digest; meanwhile the destination says what its tags hold, and what the
  //    referrers check will read of the source is asked for (mirror/first_look.hpp).
  FirstLookRequest first;
  first.reference = request.source_reference;
  first.source_tag = request.source_tag;
  first.pinned_digest = request.pinned_digest;
  first.tag_templates = request.tag_templates;
  first.platform_filter = !request.platforms.empty();
  const bool referrers = request.referrers.mode != ReferrerMode::Off;
  first.list_source_tags = referrers && !request.source_hints.listing;
  // A platform filter writes a new index, which nothing refers to yet; a source known to lack the
  // API would only answer 404 again.
  first.ask_root_referrers = referrers && !first.platform_filter &&
                             !(request.source_hints.api && request.source_hints.api->load() == 2);
  first.http = request.copy.http;
  auto look = first_look(source, source_client, destination, client, first);
  if (!look) return look.error();
  result.source_digest = look->source_digest;
  std::optional<Node> root = std::move(look->root);
  SourceHints hints = request.source_hints;
  if (look->source_tags) hints.listing = [&look] { return &*look->source_tags; };
  if (look->root_referrers) {
    hints.answered_subject = result.source_digest;
    hints.answered = std::make_shared<const ReferrersAnswer>(std::move(*look->root_referrers));
  }
  log.info("source " + source.display() + ":" + request.source_reference + " is " +
           result.source_digest);

  // A platform filter writes a new index, so its digest is only known after reading the source.
  auto load_root = [&]() -> Status {
    if (root) return {};
    auto fetched = fetch_manifest(source, source_client, result.source_digest);
    if (!fetched) return fetched.error();
    root = std::move(*fetched);
    return {};
  };
  result.mirrored_digest = result.source_digest;
  if (!request.platforms.empty()) {
    if (auto status = load_root(); !status) return status.error();
    if (root->parsed.kind == oci::Manifest::Kind::Index) {
      auto filtered = oci::filter_index(root->data.bytes, request.platforms);
      if (!filtered) return filtered.error();
      auto parsed = oci::parse_manifest(*filtered, root->parsed.media_type);
      if (!parsed) return parsed.error();
      root->data.bytes = std::move(*filtered);
      root->data.digest = "sha256:" + util::sha256_hex(root->data.bytes);
      root->parsed = std::move(*parsed);
      result.mirrored_digest = root->data.digest;
      log.info("platform filter: the mirrored index holds " +
               std::to_string(root->parsed.manifests.size()) +
               " of the source's manifests; its "
               "digest is " +
               result.mirrored_digest + " (the source's is " + result.source_digest + ")");
    } else {
      log.warning("--platforms ignored: the source is a single-platform image, copied as it is");
    }
  }

  auto tags =
      render_tags(request.tag_templates, tag_context(request.source_tag, result.mirrored_digest));
  if (!tags) return tags.error();
  result.tags = *tags;

  // 2. Compare: HEAD every destination tag.
  std::vector<std::string> stale;
  std::set<std::string> existing_elsewhere;  // stale tags that exist, pointing at another digest
  std::set<std::string> already_right;
  bool content_present = false;
  for (const auto& tag : result.tags) {
    auto known = look->destination_tags.find(tag);
    auto existing = known != look->destination_tags.end() ? Expected<std::string>(known->second)
                                                          : destination.resolve_digest(client, tag);
    if (!existing) return existing.error();
    if (*existing == result.mirrored_digest) {
      content_present = true;
      already_right.insert(tag);
      log.info("destination tag " + tag + " already points at " + result.mirrored_digest);
    } else {
      stale.push_back(tag);
      if (!existing->empty()) existing_elsewhere.insert(tag);
      log.info("destination tag " + tag +
               (existing->empty() ? std::string(" does not exist") : " points at " + *existing));
    }
  }
  if (stale.empty() && !request.force) {
    log.info("every tag already points at " + result.mirrored_digest);
    // The referrers' subjects: the index's children, read from the destination (the same bytes;
    // a GET from Docker Hub would count against its pull limit).
    auto mirrored = [&]() -> Expected<oci::Manifest> {
      if (root) return root->parsed;
      if (!oci::is_index_media_type(look->media_type) && !look->media_type.empty())
        return oci::Manifest{};
      auto fetched = fetch_manifest(destination, client, result.mirrored_digest);
      if (!fetched) return fetched.error();
      return std::move(fetched->parsed);
    };
    if (auto status = copy_referrers(source, destination, source_client, client, request, hints,
                                     mirrored, result);
        !status)
      return status.error();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }
  if (request.force) stale = result.tags;

  // 3. Copy what is missing. When a tag already points at the digest, the registry holds the whole
  //    image (it validates references on manifest PUT), so only tags remain to write.
  if (auto status = load_root(); !status) return status.error();
  Tree tree;
  if (auto status = collect(source, source_client, std::move(*root), 0, tree); !status)
    return status.error();
  result.media_type = tree.nodes.back().data.media_type;
  result.platforms = tree.platforms;
  for (const auto& blob : tree.blobs)
    result.blobs_read.emplace_back(blob.digest, static_cast<std::uint64_t>(blob.size));
  if (!content_present && !request.force) {
    auto existing = destination.head_manifest(client, result.mirrored_digest);
    if (!existing) return existing.error();
    content_present = existing->has_value();
  }
  std::vector<ManifestToPush> manifests;
  for (const auto& node : tree.nodes)
    manifests.push_back({node.data.digest, node.parsed.layers.size()});
  if (auto status = check_limits(manifests, tree.blobs, request.limits, destination.display());
      !status)
    return status.error();
  if (before_write) {
    WritePlan plan;
    plan.platforms = tree.platforms;
    for (const auto& tag : stale) {
      if (already_right.count(tag) != 0) continue;  // --force: written again, not moved
      (existing_elsewhere.count(tag) != 0 ? plan.tags_to_move : plan.tags_to_create).push_back(tag);
    }
    if (auto status = before_write(plan); !status) return status.error();
  }
  if (!content_present || request.force) {
    log.group_begin("Copy " + std::to_string(tree.blobs.size()) + " blobs of " +
                    std::to_string(tree.nodes.size()) + " manifests");
    auto stats = copy_blobs(source, destination, tree.blobs, request.copy);
    log.group_end();
    if (!stats) return stats.error();
    result.blobs = *stats;
  }
  if (request.dry_run) {
    auto mirrored = [&]() -> Expected<oci::Manifest> { return tree.nodes.back().parsed; };
    if (auto status = copy_referrers(source, destination, source_client, client, request, hints,
                                     mirrored, result);
        !status)
      return status.error();
    result.tags_pushed = stale;
    log.info("dry run: would copy " + std::to_string(result.blobs.copied) + " blobs (" +
             util::format_bytes(result.blobs.bytes_copied) + "), push " +
             std::to_string(tree.nodes.size()) + " manifests and tags " + util::join(stale, ", "));
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  // 4. Manifests by digest, children first, then the tags: immutable before rolling (render_tags'
  //    order), so a failure never leaves a tag on an incomplete image.
  if (!content_present || request.force) {
    bool rechecked = !request.copy.presence;
    for (const auto& node : tree.nodes) {
      auto status =
          destination.put_manifest(client, node.data.digest, node.data.media_type, node.data.bytes);
      // The batched presence check said a blob was there and the registry now says it is not:
      // copy the image's blobs again, asking the registry itself this time, and try once more.
      if (!status && status.error().code == "MANIFEST_BLOB_UNKNOWN" && !rechecked) {
        rechecked = true;
        log.warning(status.error().message +
                    "; the batched presence check was wrong, so every blob is checked with the "
                    "registry and copied again where missing");
        BlobCopyConfig again = request.copy;
        again.presence = {};
        auto stats = copy_blobs(source, destination, tree.blobs, again);
        if (!stats) return stats.error();
        // The second pass is the truth about what was present.
        result.blobs.present = stats->present;
        result.blobs.bytes_present = stats->bytes_present;
        result.blobs.mounted += stats->mounted;
        result.blobs.copied += stats->copied;
        result.blobs.bytes_copied += stats->bytes_copied;
        status = destination.put_manifest(client, node.data.digest, node.data.media_type,
                                          node.data.bytes);
      }
      if (!status) return status.error();
      ++result.manifests_pushed;
    }
  }
  const Node& top = tree.nodes.back();
  auto mirrored = [&]() -> Expected<oci::Manifest> { return top.parsed; };
  if (auto status = copy_referrers(source, destination, source_client, client, request, hints,
                                   mirrored, result);
      !status)
    return status.error();
  for (const auto& tag : stale) {
    if (auto status = destination.put_manifest(client, tag, top.data.media_type, top.data.bytes);
        !status) {
      // ECR keeps immutable tags even when the PUT names the digest they already hold
      // (aws/containers-roadmap#2380): under --force such a tag is already right.
      if (status.error().code == "TAG_INVALID" && already_right.count(tag) != 0) {
        log.info("tag " + tag + " is immutable and already points at " + result.mirrored_digest);
        continue;
      }
      return status.error();
    }
    result.tags_pushed.push_back(tag);
    log.info("tagged " + destination.display() + ":" + tag);
  }
  result.changed = true;

  // 5. Check what a puller will see.
  for (const auto& tag : result.tags) {
    auto check = destination.resolve_digest(client, tag);
    if (!check) return check.error();
    if (*check != result.mirrored_digest) {
      return make_error(ErrorKind::Registry,
                        "after pushing, " + destination.display() + ":" + tag + " resolves to " +
                            (check->empty() ? std::string("nothing") : *check) + ", not " +
                            result.mirrored_digest,
                        "another process may be writing the same tag; re-run");
    }
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace ecrm::mirror
