// The end of a many-images run, a plan or a merge: log lines, the step summary (one row per image,
// failures first), the outputs, the report and lock files, and the exit code.

#include "app/app.hpp"
#include "app/many.hpp"
#include "app/report.hpp"
#include "cli/outputs.hpp"
#include "util/file.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app::detail {
namespace {

std::string summary_markdown(const sync::RunReport& report) {
  std::string md = "### ecr-mirror: " + std::to_string(report.jobs.size()) + " images" +
                   (report.shard.empty() ? std::string() : " (shard " + report.shard + ")") +
                   "\n\n";
  std::uint64_t bytes = 0;
  for (const auto& j : report.jobs) bytes += j.bytes_copied;
  md += std::to_string(report.failed()) + " failed · " + util::format_bytes(bytes) + " copied · " +
        std::to_string(report.requests) + " registry requests · " +
        util::format_duration(report.seconds) + "\n\n";
  md +=
      "| result | source | destination | digest | tags pushed | blobs copied / present / "
      "mounted | bytes | time |\n|---|---|---|---|---|---|---|---|\n";
  for (bool failures : {true, false}) {
    for (const auto& j : report.jobs) {
      if ((j.status == "failed") != failures) continue;
      md += "| " + std::string(failures ? ":x: failed: " + table_cell(j.error) : j.status) +
            " | `" + j.source + "` | " + (j.destination.empty() ? "" : "`" + j.destination + "`") +
            " | " +
            (j.mirrored_digest.empty() ? "" : "`" + j.mirrored_digest.substr(0, 19) + "…`") +
            " | " + (j.tags_pushed.empty() ? "" : "`" + util::join(j.tags_pushed, "`, `") + "`") +
            " | " + std::to_string(j.blobs_copied) + " / " + std::to_string(j.blobs_present) +
            " / " + std::to_string(j.blobs_mounted) + " | " + util::format_bytes(j.bytes_copied) +
            " | " + util::format_duration(j.seconds) + " |\n";
    }
  }
  for (const auto& s : report.stale)
    md += "\n" + std::string("Tags at `") + s.destination +
          "` that no selection chooses any more " + "(not deleted): `" +
          util::join(s.tags, "`, `") + "`\n";
  return md;
}

}  // namespace

int finish(const cli::Options& options, const cli::EnvLookup& env, sync::RunReport& report,
           const std::string& matrix) {
  auto& log = util::Log::get();
  std::size_t counts[4] = {0, 0, 0, 0};
  std::uint64_t bytes = 0, referrers = 0;
  for (const auto& j : report.jobs) {
    counts[j.status == "copied"      ? 0
           : j.status == "unchanged" ? 1
           : j.status == "planned"   ? 2
                                     : 3]++;
    bytes += j.bytes_copied;
    referrers += j.referrers_pushed;
  }
  log.info("done in " + util::format_duration(report.seconds) + ": " +
           std::to_string(report.jobs.size()) + " images, " + std::to_string(counts[0]) +
           " copied, " + std::to_string(counts[1]) + " unchanged, " +
           (counts[2] ? std::to_string(counts[2]) + " to copy (dry run), " : std::string()) +
           std::to_string(counts[3]) + " failed; " + util::format_bytes(bytes) + " copied; " +
           std::to_string(report.requests) + " registry requests");
  if (counts[3] > 0) {
    std::string text = std::to_string(counts[3]) + " of " + std::to_string(report.jobs.size()) +
                       " images failed (the others are mirrored; a failed image has no tag "
                       "moved):";
    for (const auto& j : report.jobs)
      if (j.status == "failed") text += "\n- " + j.source + ": " + j.error;
    log.error(text, "ecr-mirror: images failed");
  }
  Status written;
  if (!options.report_file.empty())
    written = util::write_file(options.report_file, sync::report_json(report), "report file");
  if (written && !options.lock_file.empty() && !options.locked && !options.dry_run &&
      options.command == cli::Command::Mirror) {
    std::vector<sync::LockRecord> records;
    for (const auto& j : report.jobs)
      if (j.status != "failed" && !j.source_digest.empty())
        records.push_back({j.source, j.source_digest});
    written = util::write_file(options.lock_file, sync::lock_json(records), "lock file");
  }
  if (!written) return fail_run(written.error());
  cli::OutputList outputs = {
      {"mirrored-digest", ""},
      {"source-digest", ""},
      {"tags-pushed", ""},
      {"changed", report.changed() && !options.dry_run ? "true" : "false"},
      {"image", ""},
      {"referrers-pushed", options.dry_run ? std::string("0") : std::to_string(referrers)},
      {"images-failed", std::to_string(counts[3])},
      {"matrix", matrix},
  };
  if (auto out = cli::write_outputs(options.output_file, outputs); !out)
    return fail_run(out.error());
  if (auto summary = env("GITHUB_STEP_SUMMARY"))
    (void)cli::append_step_summary(*summary, summary_markdown(report));
  return counts[3] > 0 ? 1 : 0;
}

}  // namespace ecrm::app::detail

namespace ecrm::app {

int run_check(const cli::Options& options) {
  auto config = config::load_config(options.config_file);
  if (!config) return fail_run(config.error());
  for (std::size_t i = 0; i < config->entries.size(); ++i) {
    const auto& e = config->entries[i];
    auto destination = config::destination_for(e, config->defaults);
    std::string how;
    if (!e.source.tag.empty() || !e.source.digest.empty()) how = "as written";
    for (const auto& s : e.selections) {
      std::vector<std::string> parts;
      if (!s.tags.empty()) parts.push_back("tags " + util::join(s.tags, ","));
      if (!s.allow.empty()) parts.push_back("allow " + util::join(s.allow, " "));
      if (!s.deny.empty()) parts.push_back("deny " + util::join(s.deny, " "));
      if (!s.semver.empty()) parts.push_back("semver " + s.semver);
      if (s.latest > 0) parts.push_back("latest " + std::to_string(s.latest));
      how += (how.empty() ? "" : " or ") + util::join(parts, ", ");
    }
    if (!e.digests.empty()) how += (how.empty() ? "" : " or ") + util::join(e.digests, ",");
    util::Log::get().info("images[" + std::to_string(i) + "] " + e.source.str() + " -> " +
                          (destination ? destination->str() : "?") + " (" + how +
                          (e.by_pattern() ? "; lists tags" : "") + ")");
  }
  util::Log::get().info(config->path + ": " + std::to_string(config->entries.size()) + " images, " +
                        std::to_string(config->registries.size()) + " registries: valid");
  return 0;
}

int run_merge(const cli::Options& options, const cli::EnvLookup& env) {
  std::vector<sync::RunReport> reports;
  for (const auto& path : options.reports) {
    auto text = util::read_file(path, "report", "give the reports ecr-mirror --report-file wrote");
    if (!text) return fail_run(text.error());
    auto parsed = sync::parse_report(*text, path);
    if (!parsed) return fail_run(parsed.error());
    reports.push_back(std::move(*parsed));
  }
  auto merged = sync::merge_reports(reports);
  util::Log::get().info("merged " + std::to_string(reports.size()) +
                        " reports: " + std::to_string(merged.jobs.size()) + " images");
  return detail::finish(options, env, merged);
}

}  // namespace ecrm::app
