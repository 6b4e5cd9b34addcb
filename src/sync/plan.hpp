#pragma once
// The plan that `ecr-mirror plan` writes and `--plan FILE --shard K/N` runs: every job resolved
// (pinned to the digest the plan saw), what still needs copying and how many bytes, and the jobs
// split into shards balanced by bytes, jobs that share blobs (a common base image) kept together
// so that each shared blob is still read once.
#include <cstdint>
#include <string>
#include <vector>

#include "sync/report.hpp"
#include "util/expected.hpp"

namespace ecrm::sync {

struct PlannedJob {
  std::size_t order = 0;
  std::size_t entry = 0;
  std::string source;  // registry/repo:tag (or @digest)
  std::string destination;
  std::string digest;  // the source digest the plan resolved; the shard mirrors exactly it
  bool needs_copy = true;
  std::uint64_t bytes = 0;  // still to move (blobs the destination lacks)
  std::vector<std::pair<std::string, std::uint64_t>> blobs;  // the image's (digest, size)
  std::string error;  // resolution failed: the shard reports it
  int shard = 1;      // 1-based
};

struct Plan {
  std::string config_digest;  // sha256 of the config file the plan was made from
  int shards = 1;
  std::vector<PlannedJob> jobs;
  std::vector<StaleTags> stale;  // as the plan saw them; the first shard reports them
};

// Jobs into one destination repository stay in one shard (two processes pushing the same
// manifests into one repository at once break distribution's storage). The groups are placed
// heaviest first, each on the shard where its load plus the bytes of the group's blobs that shard
// does not already read is least: balanced by bytes, and images that share base layers land
// together when the balance allows, so a shared blob is read by fewer shards. Jobs with nothing
// to copy go round-robin. `wanted` is capped at the number of groups with bytes to move (at
// least 1) and at 256 (a matrix's limit).
void assign_shards(Plan& plan, int wanted);

std::string plan_json(const Plan& plan);
Expected<Plan> parse_plan(const std::string& text, const std::string& path);

// "K/N" → {K, N}, 1 ≤ K ≤ N ≤ 256.
Expected<std::pair<int, int>> parse_shard(const std::string& text);

// {"shard":["1/3","2/3","3/3"]}, for strategy.matrix.
std::string matrix_json(int shards);

}  // namespace ecrm::sync
