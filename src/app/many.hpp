#pragma once
// A run of many images (--config): expand the config into jobs (tags listed only for pattern
// entries; --locked and --shard pin digests), run the jobs side by side over shared registries,
// and report each. `ecr-mirror plan` and `report merge` live here too.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "app/hosts.hpp"
#include "app/signals.hpp"
#include "cli/options.hpp"
#include "config/config.hpp"
#include "mirror/mirror.hpp"
#include "registry/repository.hpp"
#include "sync/job.hpp"
#include "sync/report.hpp"

namespace ecrm::app {

int run_many(const cli::Options& options, const cli::EnvLookup& env,
             const std::atomic<bool>* cancel);
int run_plan(const cli::Options& options, const cli::EnvLookup& env,
             const std::atomic<bool>* cancel);
int run_merge(const cli::Options& options, const cli::EnvLookup& env);
// Reads and checks the config (no request): each image, its destination and how it selects tags.
int run_check(const cli::Options& options);

namespace detail {

// 100 pages of 1000 tags: Docker Hub's busiest repositories have fewer. Past it a selection works
// on what was listed, with a warning.
inline constexpr std::size_t kMaxListingPages = 100;

// What the jobs of one run share: registries, what is known of each source, the blob ledger and
// the transfer budget.
struct Shared {
  Shared(Hosts& h, const cli::Options& o, const config::Config& cfg, const std::atomic<bool>* c)
      : hosts(h), options(o), config(cfg), cancel(c) {}
  Hosts& hosts;
  const cli::Options& options;
  const config::Config& config;
  const std::atomic<bool>* cancel;
  std::shared_ptr<mirror::BlobLedger> ledger = std::make_shared<mirror::BlobLedger>();
  std::shared_ptr<mirror::TransferBudget> budget;
  // A source repository's tags, listed once per run however many entries and referrers checks
  // ask (a pattern entry's selection, then the referrers check of each of its images).
  const Expected<registry::Repository::TagList>& source_listing(const name::Repository& repo);
  // Whether the source's registry serves the referrers API, asked once per registry.
  std::shared_ptr<std::atomic<int>> referrers_api(const name::Repository& repo);

 private:
  struct Listing {
    std::once_flag once;
    std::optional<Expected<registry::Repository::TagList>> result;
  };
  std::shared_ptr<Listing> listed(const name::Repository& repo);  // listing once, then cached
  struct Probe {
    std::once_flag once;
    std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0);
  };
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Listing>> listings_;  // by repository
  std::map<std::string, std::shared_ptr<Probe>> probes_;      // by registry host
};

// What a config run and a plan start from: the config read and checked, the registries'
// credentials loaded (an unset variable fails here, before any request), the deadline running.
struct Session {
  Session(config::Config checked, const cli::Options& options, const cli::EnvLookup& env,
          const std::atomic<bool>* cancel)
      : config(std::move(checked)),
        hosts(options, &config, env, cancel),
        deadline(std::chrono::seconds(options.timeout_seconds)),
        shared(hosts, options, config, cancel) {}
  config::Config config;
  Hosts hosts;
  Deadline deadline;
  Shared shared;
};
Expected<std::unique_ptr<Session>> open_session(const cli::Options& options,
                                                const cli::EnvLookup& env,
                                                const std::atomic<bool>* cancel);

struct Planned {
  std::vector<sync::Job> jobs;
  std::vector<std::size_t> orders;        // each job's order (the plan's, for a shard)
  std::vector<sync::JobReport> failures;  // entries that produced no job
};

// The jobs of the config: listed and selected, or pinned by the lock file.
Planned expand(const config::Config& config, Shared& shared);

// Runs `jobs` with options.parallel_images at once; reports in the jobs' order.
std::vector<sync::JobReport> execute(const Planned& planned, Shared& shared, bool dry_run,
                                     std::vector<mirror::MirrorResult>* results = nullptr);

// Destination tags that no job of a pattern entry chooses any more (one listing per repository).
std::vector<sync::StaleTags> stale_tags(const config::Config& config, const Planned& planned,
                                        const std::vector<sync::JobReport>& reports,
                                        Shared& shared);

// Log lines, step summary, outputs, report and lock files. Returns the exit code.
int finish(const cli::Options& options, const cli::EnvLookup& env, sync::RunReport& report,
           const std::string& matrix = {});

std::string error_text(const Error& error);

}  // namespace detail
}  // namespace ecrm::app
