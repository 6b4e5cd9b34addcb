// `ecr-mirror plan`: every job resolved as a dry run does (HEADs of tags; for an image that needs
// copying its manifests and a presence check of its blobs), then shards balanced by the bytes
// still to move, written to --plan-file, with the matrix in $GITHUB_OUTPUT.

#include "app/app.hpp"
#include "app/many.hpp"
#include "app/signals.hpp"
#include "cli/outputs.hpp"
#include "sync/plan.hpp"
#include "util/file.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app {

int run_plan(const cli::Options& options, const cli::EnvLookup& env,
             const std::atomic<bool>* cancel) {
  const auto started = std::chrono::steady_clock::now();
  auto opened = detail::open_session(options, env, cancel);
  if (!opened) return fail_run(opened.error());
  detail::Session& session = **opened;
  auto planned = detail::expand(session.config, session.shared);
  std::vector<mirror::MirrorResult> results;
  auto reports = detail::execute(planned, session.shared, true, &results);

  sync::Plan plan;
  plan.config_digest = session.config.digest;
  for (std::size_t i = 0; i < planned.jobs.size(); ++i) {
    sync::PlannedJob p;
    p.order = planned.orders[i];
    p.entry = planned.jobs[i].entry;
    p.source = planned.jobs[i].source.str();
    p.destination = planned.jobs[i].destination.str();
    p.digest = reports[i].source_digest;
    p.needs_copy = reports[i].status == "planned";
    p.bytes = reports[i].bytes_copied;
    p.blobs = results[i].blobs_read;
    if (reports[i].status == "failed") p.error = reports[i].error;
    plan.jobs.push_back(std::move(p));
  }
  for (const auto& f : planned.failures) {
    sync::PlannedJob p;
    p.order = f.order;
    p.entry = f.entry;
    p.source = f.source;
    p.needs_copy = false;
    p.error = f.error;
    plan.jobs.push_back(std::move(p));
  }
  plan.stale = detail::stale_tags(session.config, planned, reports, session.shared);
  sync::assign_shards(plan, options.shards);

  if (auto written = util::write_file(options.plan_file, sync::plan_json(plan), "plan"); !written)
    return fail_run(written.error());
  std::vector<std::uint64_t> bytes(static_cast<std::size_t>(plan.shards), 0);
  std::vector<std::size_t> count(static_cast<std::size_t>(plan.shards), 0);
  std::size_t to_copy = 0;
  for (const auto& p : plan.jobs) {
    bytes[static_cast<std::size_t>(p.shard - 1)] += p.bytes;
    count[static_cast<std::size_t>(p.shard - 1)]++;
    to_copy += p.needs_copy ? 1 : 0;
  }
  std::string shards_text;
  for (int k = 0; k < plan.shards; ++k)
    shards_text += (k ? ", " : "") + std::to_string(k + 1) + ": " +
                   std::to_string(count[static_cast<std::size_t>(k)]) + " images, " +
                   util::format_bytes(bytes[static_cast<std::size_t>(k)]);
  util::Log::get().info("plan: " + std::to_string(plan.jobs.size()) + " images, " +
                        std::to_string(to_copy) + " need copying; " + std::to_string(plan.shards) +
                        " shards (" + shards_text + "); written to " + options.plan_file);

  sync::RunReport report;
  report.jobs = std::move(reports);
  report.jobs.insert(report.jobs.end(), planned.failures.begin(), planned.failures.end());
  report.stale = plan.stale;
  report.requests = session.hosts.request_count();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // A plan is a dry run: it fails only when it cannot be written; failed entries are in it, and
  // the shard that holds them fails.
  cli::Options as_dry_run = options;  // nothing was written: changed=false, no lock file
  as_dry_run.dry_run = true;
  const int code = detail::finish(as_dry_run, env, report, sync::matrix_json(plan.shards));
  return code == 1 && report.failed() > 0 ? 0 : code;
}

}  // namespace ecrm::app
