// The source side of referrers: what refers to each mirrored manifest.
#include <optional>
#include <set>

#include "mirror/referrers.hpp"
#include "oci/referrers.hpp"
#include "util/log.hpp"

namespace ecrm::mirror::detail {
namespace {

// Real images carry a handful of referrers; a source that lists more than this is broken or
// hostile, and copying all of it would take the run over. The rest is reported, not copied.
constexpr std::size_t kMaxReferrers = 1000;

enum class Known { Yes, No, Unknown };

class SourceLister {
 public:
  SourceLister(registry::Repository& source, http::Client& client, const ReferrerPolicy& policy,
               const SourceHints& hints, Discovery& out)
      : source_(source), client_(client), policy_(policy), hints_(hints), out_(out) {
    if (hints_.api) api_ = static_cast<Api>(hints_.api->load());
  }

  // The source has no referrers API and no tag of the referrers tag schema or cosign: nothing in
  // this repository has referrers.
  bool has_none() const {
    return api_ == Api::Absent && tags_loaded_ && tags_complete_ && !any_subject_tag_;
  }

  // Everything that refers to `subject`, appended to `found`.
  Status list(const std::string& subject, int depth, std::vector<Found>& found) {
    if (api_ != Api::Absent) {
      auto listed = hints_.answered && subject == hints_.answered_subject
                        ? *hints_.answered
                        : source_.list_referrers(client_, subject);
      if (!listed) {
        if (auto failed = failure(listed.error().message); !failed) return failed;
      } else if (!*listed) {
        api_ = Api::Absent;
        if (hints_.api) hints_.api->store(static_cast<int>(Api::Absent));
        util::Log::get().info(source_.display() +
                              " does not serve the referrers API (404): its referrers are read "
                              "from the referrers tag schema (sha256-<hex> tags)");
      } else {
        api_ = Api::Served;
        if (hints_.api) hints_.api->store(static_cast<int>(Api::Served));
        for (auto& descriptor : **listed)
          found.push_back({std::move(descriptor), subject, "referrers API", "", depth});
      }
    }
    if (api_ == Api::Absent) {
      if (auto status = list_tag_schema(subject, depth, found); !status) return status;
    }
    return list_cosign_tags(subject, depth, found);
  }

 private:
  enum class Api { Unknown = 0, Served = 1, Absent = 2 };

  Status failure(const std::string& what) {
    if (policy_.mode == ReferrerMode::Require) {
      return make_error(ErrorKind::Registry, "referrers: " + what,
                        "the source's referrers could not be listed and --referrers is require; "
                        "re-run, or use --referrers auto to mirror without them");
    }
    util::Log::get().warning("referrers not listed: " + what);
    out_.listing_failures.push_back(what);
    return {};
  }

  Known has_tag(const std::string& tag) {
    if (!tags_loaded_) {
      tags_loaded_ = true;
      const Expected<registry::Repository::TagList>* known =
          hints_.listing ? hints_.listing() : nullptr;
      std::optional<Expected<registry::Repository::TagList>> own;
      if (!known) known = &own.emplace(source_.list_tags(client_, kReferrerTagPages));
      if (!*known) {
        // Without the list each tag is asked for directly: slower, never silently skipped.
        util::Log::get().info("cannot list the tags of " + source_.display() + " (" +
                              known->error().message + "); cosign tags are asked for one by one");
      } else {
        tags_complete_ = (*known)->complete;
        tags_.insert((*known)->tags.begin(), (*known)->tags.end());
        for (const auto& name : (*known)->tags)
          any_subject_tag_ = any_subject_tag_ || oci::parse_subject_tag(name);
      }
    }
    if (tags_.count(tag) != 0) return Known::Yes;
    return tags_complete_ ? Known::No : Known::Unknown;
  }

  Status list_tag_schema(const std::string& subject, int depth, std::vector<Found>& found) {
    const std::string tag = oci::referrers_tag(subject);
    if (has_tag(tag) == Known::No) return {};
    auto index = source_.find_manifest(client_, tag);
    if (!index) return failure(index.error().message);
    if (!*index) return {};
    auto listed = oci::parse_referrers_list((*index)->bytes, (*index)->media_type);
    if (!listed)
      return failure(source_.display() + ":" + tag +
                     " is not a referrers index: " + listed.error().message);
    for (auto& descriptor : *listed)
      found.push_back({std::move(descriptor), subject, "tag schema", "", depth});
    return {};
  }

  Status list_cosign_tags(const std::string& subject, int depth, std::vector<Found>& found) {
    for (std::string_view suffix : oci::kCosignSuffixes) {
      const std::string tag = oci::cosign_tag(subject, suffix);
      if (has_tag(tag) == Known::No) continue;
      auto digest = source_.resolve_digest(client_, tag);
      if (!digest) {
        if (auto failed = failure(digest.error().message); !failed) return failed;
        continue;
      }
      if (digest->empty()) continue;
      oci::Descriptor listed;  // the rest is read with the manifest, if it is copied
      listed.digest = *digest;
      found.push_back({std::move(listed), subject, "cosign tag", tag, depth});
    }
    return {};
  }

  registry::Repository& source_;
  http::Client& client_;
  const ReferrerPolicy& policy_;
  const SourceHints& hints_;
  Discovery& out_;
  Api api_ = Api::Unknown;
  bool tags_loaded_ = false;
  bool tags_complete_ = false;
  bool any_subject_tag_ = false;
  std::set<std::string> tags_;
};

}  // namespace

Expected<Discovery> discover_referrers(registry::Repository& source, http::Client& client,
                                       const std::string& root, const SubjectSource& children,
                                       const ReferrerPolicy& policy, const SourceHints& hints) {
  Discovery discovery;
  SourceLister lister(source, client, policy, hints, discovery);
  std::set<std::string> seen;
  // Lists `subjects`; what they refer to is added to `next`, to be listed at depth + 1.
  bool capped = false;
  auto list_level = [&](const std::vector<std::string>& subjects, int depth,
                        std::vector<std::string>& next) -> Status {
    if (capped) return {};
    for (const auto& subject : subjects) seen.insert(subject);
    for (const auto& subject : subjects) {
      std::vector<Found> found;
      if (auto status = lister.list(subject, depth, found); !status) return status;
      for (auto& entry : found) {
        if (!seen.insert(entry.listed.digest).second) continue;  // listed twice, or a cycle
        if (!oci::artifact_type_allowed(policy.artifact_types, entry.listed)) {
          ReferrerRecord record;
          record.digest = entry.listed.digest;
          record.subject = entry.subject;
          record.artifact_type = entry.listed.artifact_type;
          record.found_by = entry.found_by;
          record.depth = depth;
          record.reason = "its artifact type is not in referrer-types";
          discovery.filtered.push_back(std::move(record));
          continue;
        }
        if (discovery.found.size() == kMaxReferrers) {
          const std::string what = source.display() + " lists more than " +
                                   std::to_string(kMaxReferrers) +
                                   " referrers for this image; the rest are not copied";
          if (policy.mode == ReferrerMode::Require)
            return make_error(ErrorKind::Registry, "referrers: " + what,
                              "use --referrer-types to choose the ones to mirror");
          util::Log::get().warning(what);
          discovery.listing_failures.push_back(what);
          capped = true;
          return {};
        }
        next.push_back(entry.listed.digest);
        discovery.found.push_back(std::move(entry));
      }
    }
    return {};
  };

  std::vector<std::string> next;
  if (!root.empty()) {
    if (auto status = list_level({root}, 1, next); !status) return status.error();
  }
  // Listing the root loaded what shows whether anything here has referrers; if nothing has, the
  // children (which may cost a GET of the index) are not needed.
  if (children && (root.empty() || !lister.has_none())) {
    auto digests = children();
    if (!digests) return digests.error();
    std::vector<std::string> fresh;
    for (const auto& digest : *digests)
      if (seen.count(digest) == 0) fresh.push_back(digest);
    if (auto status = list_level(fresh, 1, next); !status) return status.error();
  }
  for (int depth = 2; depth <= policy.max_depth && !next.empty(); ++depth) {
    std::vector<std::string> level = std::move(next);
    next.clear();
    if (auto status = list_level(level, depth, next); !status) return status.error();
  }
  return discovery;
}

}  // namespace ecrm::mirror::detail
