#pragma once
// What a many-images run wrote, per job and in total, as JSON (schema/report.schema.json): the
// report file, the lock file (tag -> digest of every mirrored tag, for --locked) and the merge of
// shard reports into one.
#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::sync {

struct JobReport {
  std::size_t order =
      0;  // position in the run (the plan's, for a shard): merged reports sort by it
  std::size_t entry = 0;  // the config's images[entry]
  std::string source;     // registry/repo:tag or @digest as resolved from the config
  std::string source_digest;
  std::string destination;  // registry/repo
  std::string mirrored_digest;
  std::vector<std::string> tags;         // every destination tag of the job
  std::vector<std::string> tags_pushed;  // written in this run
  std::string status;                    // copied | unchanged | planned | failed
  std::string error;                     // what failed, and the fix
  std::uint64_t bytes_copied = 0, blobs_copied = 0, blobs_present = 0, blobs_mounted = 0;
  std::uint64_t referrers_pushed = 0;
  std::uint64_t requests = 0;  // source + destination registry requests of this job
  double seconds = 0;
};

struct StaleTags {
  std::string destination;
  std::vector<std::string> tags;  // listed there, chosen by no selection; never deleted
};

struct RunReport {
  std::string shard;  // "K/N", "" for a whole run
  std::vector<JobReport> jobs;
  std::vector<StaleTags> stale;
  std::uint64_t requests = 0;  // the run's, auth and tag listings included
  double seconds = 0;
  bool changed() const;
  std::size_t failed() const;
};

std::string report_json(const RunReport& report);
Expected<RunReport> parse_report(const std::string& text, const std::string& path);
// Jobs by order; the same job in two reports (a shard re-run) keeps the later report's.
RunReport merge_reports(const std::vector<RunReport>& reports);

struct LockRecord {
  std::string source;  // registry/repo:tag
  std::string digest;
};
std::string lock_json(const std::vector<LockRecord>& records);
Expected<std::vector<LockRecord>> parse_lock(const std::string& text, const std::string& path);

}  // namespace ecrm::sync
