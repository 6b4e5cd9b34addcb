#include "app/many.hpp"

#include <algorithm>
#include <thread>

#include "registry/repository.hpp"
#include "util/file.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app::detail {
namespace {

sync::JobReport failed_entry(const config::Config& config, std::size_t entry, std::size_t order,
                             const Error& error) {
  sync::JobReport r;
  r.order = order;
  r.entry = entry;
  r.source = config.entries[entry].source.str();
  if (config.entries[entry].source.tag.empty() && config.entries[entry].source.digest.empty())
    r.source = config.entries[entry].source.repository.str();
  r.status = "failed";
  r.error = error_text(error);
  return r;
}

}  // namespace

std::shared_ptr<Shared::Listing> Shared::listed(const name::Repository& repo) {
  std::shared_ptr<Listing> listing;
  {
    std::lock_guard lock(mutex_);
    auto& slot = listings_[repo.str()];
    if (!slot) slot = std::make_shared<Listing>();
    listing = slot;
  }
  std::call_once(listing->once, [&] {
    http::Client client(hosts.http());
    registry::Repository source(hosts.source(repo.registry), repo.path, false);
    listing->result = source.list_tags(client, kMaxListingPages);
  });
  return listing;
}

const Expected<registry::Repository::TagList>& Shared::source_listing(
    const name::Repository& repo) {
  return *listed(repo)->result;
}

std::shared_ptr<std::atomic<int>> Shared::referrers_api(const name::Repository& repo) {
  std::shared_ptr<Probe> probe;
  {
    std::lock_guard lock(mutex_);
    auto& slot = probes_[repo.registry];
    if (!slot) slot = std::make_shared<Probe>();
    probe = slot;
  }
  std::call_once(probe->once, [&] {
    // Any digest will do: a registry that serves the API answers 200 (an empty list) even for a
    // subject it does not hold, and never 404 (distribution-spec 1.1 §"Listing Referrers").
    // The digest of "{}", OCI's empty descriptor.
    http::Client client(hosts.http());
    registry::Repository source(hosts.source(repo.registry), repo.path, false);
    auto listed = source.list_referrers(
        client, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    if (listed) probe->state->store(*listed ? 1 : 2);
  });
  return probe->state;
}

Expected<std::unique_ptr<Session>> open_session(const cli::Options& options,
                                                const cli::EnvLookup& env,
                                                const std::atomic<bool>* cancel) {
  auto config = config::load_config(options.config_file);
  if (!config) return config.error();
  auto session = std::make_unique<Session>(std::move(*config), options, env, cancel);
  if (auto loaded = session->hosts.load_credentials(); !loaded) return loaded.error();
  return session;
}

std::string error_text(const Error& error) {
  return error.hint.empty() ? error.message : error.message + " (fix: " + error.hint + ")";
}

Planned expand(const config::Config& config, Shared& shared) {
  const auto& options = shared.options;
  Planned out;
  std::map<std::string, std::string> locked;  // registry/repo:tag -> digest
  if (options.locked) {
    auto text = util::read_file(options.lock_file, "lock file",
                                "give the file an earlier run wrote with --lock-file");
    auto records = text ? sync::parse_lock(*text, options.lock_file)
                        : Expected<std::vector<sync::LockRecord>>(text.error());
    if (!records) {
      for (std::size_t i = 0; i < config.entries.size(); ++i)
        out.failures.push_back(failed_entry(config, i, i, records.error()));
      return out;
    }
    for (const auto& r : *records) locked[r.source] = r.digest;
  }
  sync::TagLister lister = [&](const name::Repository& repo) -> Expected<std::vector<std::string>> {
    if (options.locked) {
      // The lock file stands in for the listing: a pattern chooses among the tags it holds.
      std::vector<std::string> tags;
      for (const auto& [source, digest] : locked) {
        auto ref = name::parse_reference(source);
        if (ref && ref->repository == repo && !ref->tag.empty()) tags.push_back(ref->tag);
      }
      return tags;
    }
    const auto& listed = shared.source_listing(repo);
    if (!listed) return listed.error();
    if (!listed->complete)
      util::Log::get().warning(repo.str() + " has more than " + std::to_string(kMaxListingPages) +
                               " pages of tags; the selection sees the first " +
                               std::to_string(listed->tags.size()));
    util::Log::get().info("listed " + std::to_string(listed->tags.size()) + " tags of " +
                          repo.str());
    return listed->tags;
  };
  auto expansion = sync::expand_jobs(config, options.tag_templates, options.platforms, lister);
  for (auto index : expansion.selected_nothing)
    util::Log::get().warning(config.entries[index].where + ": " +
                             config.entries[index].source.repository.str() +
                             ": the selection matches no tag");
  for (auto& job : expansion.jobs) {
    if (options.locked && job.source.digest.empty()) {
      auto it = locked.find(job.source.str());
      if (it == locked.end()) {
        out.failures.push_back(failed_entry(
            config, job.entry, 0,
            make_error(ErrorKind::Usage,
                       job.source.str() + " is not in the lock file " + options.lock_file,
                       "run without --locked to mirror it and write the lock file anew")));
        out.failures.back().source = job.source.str();
        continue;
      }
      job.pinned_digest = it->second;
    }
    out.orders.push_back(out.jobs.size());
    out.jobs.push_back(std::move(job));
  }
  for (auto& f : expansion.failures)
    out.failures.push_back(failed_entry(config, f.entry, 0, f.error));
  for (std::size_t k = 0; k < out.failures.size(); ++k) out.failures[k].order = out.jobs.size() + k;
  return out;
}

namespace {

// A worker's two connections, kept from one image to the next: destination and source.
struct WorkerClients {
  explicit WorkerClients(const http::ClientConfig& config) : destination(config), source(config) {}
  http::Client destination;
  http::Client source;
};

sync::JobReport run_job(const sync::Job& job, std::size_t order, Shared& shared, bool dry_run,
                        WorkerClients& clients, mirror::MirrorResult* keep) {
  sync::JobReport r;
  r.order = order;
  r.entry = job.entry;
  r.source = job.source.str();
  r.destination = job.destination.str();
  auto source_transport = shared.hosts.source(job.source.repository.registry);
  auto destination_transport = shared.hosts.destination(job.destination.registry);
  registry::Repository source(source_transport, job.source.repository.path, false);
  registry::Repository destination(destination_transport, job.destination.path, true);
  auto fail = [&](const Error& error) {
    r.status = "failed";
    r.error = error_text(error);
    r.requests = source.request_count() + destination.request_count();
    util::Log::get().error(r.source + " -> " + r.destination + ": " + r.error,
                           "ecr-mirror: an image failed");
    return r;
  };
  auto hooks =
      shared.hosts.aws(job.destination, job.source.str(), shared.config.defaults.create_repository);
  if (!hooks) return fail(hooks.error());

  auto request = shared.hosts.mirror_request(*hooks, job.source.repository.registry,
                                             job.destination.registry, dry_run);
  const std::string pinned = !job.pinned_digest.empty() ? job.pinned_digest : job.source.digest;
  request.source_reference = pinned.empty() ? job.source.tag : pinned;
  request.source_tag = job.source.tag;
  request.pinned_digest = pinned;
  request.tag_templates = job.tag_templates;
  request.platforms = job.platforms;
  request.copy.ledger = shared.ledger;
  request.copy.budget = shared.budget;
  request.client = &clients.destination;
  request.source_client = &clients.source;
  if (shared.config.defaults.referrers) request.referrers = *shared.config.defaults.referrers;
  if (request.referrers.mode != mirror::ReferrerMode::Off) {
    request.source_hints.listing = [&shared, repo = job.source.repository] {
      return &shared.source_listing(repo);
    };
    request.source_hints.api = shared.referrers_api(job.source.repository);
  }

  util::Log::get().info("mirroring " + r.source + " to " + r.destination +
                        (dry_run ? " (dry run)" : ""));
  auto result = mirror::run_mirror(source, destination, request, hooks->before_write);
  if (!result) return fail(result.error());
  r.source_digest = result->source_digest;
  r.mirrored_digest = result->mirrored_digest;
  r.tags = result->tags;
  r.tags_pushed = result->tags_pushed;
  r.status = dry_run ? (result->tags_pushed.empty() ? "unchanged" : "planned")
                     : (result->changed ? "copied" : "unchanged");
  const auto& b = result->blobs;
  r.bytes_copied = b.bytes_copied;
  r.blobs_copied = b.copied;
  r.blobs_present = b.present;
  r.blobs_mounted = b.mounted;
  r.referrers_pushed = result->referrers.count(mirror::ReferrerOutcome::Copied);
  if (r.referrers_pushed > 0 && r.status == "unchanged" && !dry_run) r.status = "copied";
  r.requests = source.request_count() + destination.request_count();
  r.seconds = result->seconds;
  if (keep) *keep = std::move(*result);
  return r;
}

}  // namespace

std::vector<sync::JobReport> execute(const Planned& planned, Shared& shared, bool dry_run,
                                     std::vector<mirror::MirrorResult>* results) {
  const auto& jobs = planned.jobs;
  if (!shared.budget)
    shared.budget = std::make_shared<mirror::TransferBudget>(shared.options.concurrency);
  std::vector<sync::JobReport> reports(jobs.size());
  if (results) results->assign(jobs.size(), {});
  // Jobs into one destination repository run one after the other, in order: the later ones find
  // the content there and only tag it. Side by side they would PUT the same manifests at once,
  // which distribution's storage does not survive (a concurrent PUT of one manifest can make
  // another's tag PUT fail with MANIFEST_BLOB_UNKNOWN, seen here).
  std::vector<std::vector<std::size_t>> groups;
  {
    std::map<std::string, std::size_t> group_of;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      auto [it, fresh] = group_of.emplace(jobs[i].destination.str(), groups.size());
      if (fresh) groups.emplace_back();
      groups[it->second].push_back(i);
    }
  }
  std::atomic<std::size_t> next{0};
  const std::string total = std::to_string(jobs.size());
  auto work = [&] {
    WorkerClients clients(shared.hosts.http());
    while (true) {
      const std::size_t g = next.fetch_add(1);
      if (g >= groups.size()) return;
      for (const std::size_t i : groups[g]) {
        if (shared.cancel && shared.cancel->load()) {
          reports[i].order = planned.orders[i];
          reports[i].entry = jobs[i].entry;
          reports[i].source = jobs[i].source.str();
          reports[i].destination = jobs[i].destination.str();
          reports[i].status = "failed";
          reports[i].error = "cancelled before it started; no tag was moved";
          continue;
        }
        util::Log::set_thread_context(
            jobs.size() > 1 ? "[" + std::to_string(i + 1) + "/" + total + "] " : std::string());
        reports[i] = run_job(jobs[i], planned.orders[i], shared, dry_run, clients,
                             results ? &(*results)[i] : nullptr);
        util::Log::set_thread_context({});
      }
    }
  };
  const std::size_t threads = std::max<std::size_t>(
      1, std::min<std::size_t>(static_cast<std::size_t>(shared.options.parallel_images),
                               groups.size()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  return reports;
}

}  // namespace ecrm::app::detail
