// `ecr-mirror --config`: expand (or take the plan's shard), run, list the stale tags, report.
#include <algorithm>
#include <set>

#include "app/app.hpp"
#include "app/many.hpp"
#include "app/signals.hpp"
#include "oci/referrers.hpp"
#include "registry/repository.hpp"
#include "sync/plan.hpp"
#include "util/file.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app::detail {

std::vector<sync::StaleTags> stale_tags(const config::Config& config, const Planned& planned,
                                        const std::vector<sync::JobReport>& reports,
                                        Shared& shared) {
  // Destination repository -> the tags its jobs produce; a failed job makes its repository's
  // answer unknowable (its tags were never rendered), so that repository is left out.
  std::map<std::string, std::set<std::string>> produced;
  std::set<std::string> unknowable;
  std::map<std::string, name::Repository> repos;
  for (std::size_t i = 0; i < planned.jobs.size(); ++i) {
    const auto& job = planned.jobs[i];
    if (!config.entries[job.entry].by_pattern()) continue;
    const auto key = job.destination.str();
    repos.emplace(key, job.destination);
    if (reports[i].status == "failed") unknowable.insert(key);
    produced[key].insert(reports[i].tags.begin(), reports[i].tags.end());
  }
  std::vector<sync::StaleTags> out;
  http::Client client(shared.hosts.http());
  for (const auto& [key, repo] : repos) {
    if (unknowable.count(key)) continue;
    registry::Repository destination(shared.hosts.destination(repo.registry), repo.path, true);
    auto listed = destination.list_tags(client, kMaxListingPages);
    if (!listed) {
      util::Log::get().warning("cannot list the tags of " + key +
                               " to find tags no selection chooses: " + listed.error().message);
      continue;
    }
    sync::StaleTags stale{key, {}};
    for (const auto& tag : listed->tags) {
      // Referrers' tags (sha256-<hex>, cosign's .sig/.att/.sbom) belong to their subjects.
      if (produced[key].count(tag) || oci::parse_subject_tag(tag)) continue;
      stale.tags.push_back(tag);
    }
    if (!stale.tags.empty()) {
      util::Log::get().info(key + ": " + std::to_string(stale.tags.size()) +
                            " tags no selection chooses any more (listed in the report, not "
                            "deleted): " +
                            util::join(stale.tags, ", "));
      out.push_back(std::move(stale));
    }
  }
  return out;
}

}  // namespace ecrm::app::detail

namespace ecrm::app {

namespace {

// The jobs of shard K of the plan, checked against the config they were planned from.
Expected<detail::Planned> shard_jobs(const config::Config& config, const cli::Options& options,
                                     std::vector<sync::StaleTags>& stale) {
  auto shard = sync::parse_shard(options.shard);
  if (!shard) return shard.error();
  auto text = util::read_file(options.plan_file, "plan", "give the file ecr-mirror plan wrote");
  if (!text) return text.error();
  auto plan = sync::parse_plan(*text, options.plan_file);
  if (!plan) return plan.error();
  if (plan->shards != shard->second)
    return make_error(ErrorKind::Usage,
                      "--shard " + options.shard + " does not match the plan's " +
                          std::to_string(plan->shards) + " shards",
                      "pass the matrix the plan printed (its shard values)");
  if (plan->config_digest != config.digest)
    return make_error(ErrorKind::Usage,
                      options.plan_file + " was made from another version of " + config.path,
                      "run ecr-mirror plan again with this config, then the shards");
  detail::Planned out;
  for (const auto& p : plan->jobs) {
    if (p.shard != shard->first) continue;
    if (!p.error.empty() || p.entry >= config.entries.size()) {
      sync::JobReport r;
      r.order = p.order;
      r.entry = p.entry;
      r.source = p.source;
      r.destination = p.destination;
      r.status = "failed";
      r.error = p.error.empty() ? "the plan names an entry the config does not have" : p.error;
      out.failures.push_back(std::move(r));
      continue;
    }
    auto ref = name::parse_reference(p.source);
    if (!ref) return ref.error();
    auto job = sync::job_for(config, p.entry, ref->digest.empty() ? ref->tag : ref->digest,
                             options.tag_templates, options.platforms);
    if (!job) return job.error();
    if (job->source.str() != p.source || job->destination.str() != p.destination)
      return make_error(ErrorKind::Usage,
                        options.plan_file + " does not match " + config.path + " at images[" +
                            std::to_string(p.entry) + "]",
                        "run ecr-mirror plan again, then the shards");
    job->pinned_digest = p.digest;
    out.orders.push_back(p.order);
    out.jobs.push_back(std::move(*job));
  }
  // The plan's stale tags are reported once, by the first shard.
  if (shard->first == 1) stale = plan->stale;
  return out;
}

}  // namespace

int run_many(const cli::Options& options, const cli::EnvLookup& env,
             const std::atomic<bool>* cancel) {
  auto& log = util::Log::get();
  const auto started = std::chrono::steady_clock::now();
  auto opened = detail::open_session(options, env, cancel);
  if (!opened) return fail_run(opened.error());
  detail::Session& session = **opened;

  sync::RunReport report;
  report.shard = options.shard;
  detail::Planned planned;
  if (!options.shard.empty()) {
    auto jobs = shard_jobs(session.config, options, report.stale);
    if (!jobs) return fail_run(jobs.error());
    planned = std::move(*jobs);
  } else {
    planned = detail::expand(session.config, session.shared);
  }
  log.info(std::to_string(planned.jobs.size()) + " images to mirror from " + session.config.path +
           (options.shard.empty() ? std::string() : ", shard " + options.shard) +
           (planned.failures.empty()
                ? std::string()
                : "; " + std::to_string(planned.failures.size()) + " entries failed already"));
  report.jobs = detail::execute(planned, session.shared, options.dry_run);
  if (options.shard.empty() && !options.dry_run)
    report.stale = detail::stale_tags(session.config, planned, report.jobs, session.shared);
  report.jobs.insert(report.jobs.end(), planned.failures.begin(), planned.failures.end());
  std::sort(report.jobs.begin(), report.jobs.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  report.requests = session.hosts.request_count();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (session.deadline.expired())
    log.error("the run passed its deadline of " + std::to_string(options.timeout_seconds) +
                  " s; images that were still copying were stopped with no tag moved",
              "ecr-mirror: deadline");
  return detail::finish(options, env, report);
}

}  // namespace ecrm::app
