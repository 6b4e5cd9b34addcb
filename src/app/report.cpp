#include "app/report.hpp"

#include "cli/outputs.hpp"
#include "mirror/blob_upload.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::app {
namespace {

std::string count_text(const RunCounts& counts) {
  return std::to_string(counts.source_requests + counts.destination_requests) +
         " registry requests (" + std::to_string(counts.source_requests) + " source, " +
         std::to_string(counts.destination_requests) + " destination) and " +
         std::to_string(counts.api_calls) + " API calls (OIDC, STS, ECR)";
}

const char* outcome_text(mirror::ReferrerOutcome outcome, bool dry_run) {
  switch (outcome) {
    case mirror::ReferrerOutcome::Copied:
      return dry_run ? "would copy" : "copied";
    case mirror::ReferrerOutcome::Present:
      return "already there";
    case mirror::ReferrerOutcome::Skipped:
      return "skipped";
  }
  return "";
}

// One row per referrer, skipped ones first: what a reviewer must look at.
std::string referrers_markdown(const mirror::ReferrerResult& r, bool dry_run) {
  if (r.records.empty() && r.listing_failures.empty()) return {};
  std::string md = "\n#### Referrers\n\n";
  for (const auto& failure : r.listing_failures) md += "- :warning: not listed: " + failure + "\n";
  if (r.records.empty()) return md;
  md += "\n| referrer | type | refers to | found by | result |\n|---|---|---|---|---|\n";
  for (auto outcome : {mirror::ReferrerOutcome::Skipped, mirror::ReferrerOutcome::Copied,
                       mirror::ReferrerOutcome::Present}) {
    for (const auto& record : r.records) {
      if (record.outcome != outcome) continue;
      md += "| `" + mirror::short_digest(record.digest) + "…` | " +
            (record.artifact_type.empty() ? std::string("?") : "`" + record.artifact_type + "`") +
            " | `" + mirror::short_digest(record.subject) + "…` | " + record.found_by +
            (record.tag.empty() ? std::string()
                                : " `" + record.tag.substr(record.tag.rfind('.')) + "`") +
            " | " + outcome_text(outcome, dry_run) +
            (record.reason.empty() ? std::string() : ": " + table_cell(record.reason)) + " |\n";
    }
  }
  return md;
}

std::string summary_markdown(const cli::Options& options, const mirror::MirrorResult& result,
                             const RunCounts& counts) {
  const auto& b = result.blobs;
  std::string md = "### ecr-mirror" + std::string(result.dry_run ? " (dry run)" : "") + "\n\n";
  md += "| | |\n|---|---|\n";
  md += "| Source | `" + options.source.str() + "` |\n";
  md += "| Source digest | `" + result.source_digest + "` |\n";
  md += "| Destination | `" + options.destination.str() + "` |\n";
  md += "| Mirrored digest | `" + result.mirrored_digest + "` |\n";
  md += "| Tags pushed | " +
        (result.tags_pushed.empty() ? std::string("none (already up to date)")
                                    : "`" + util::join(result.tags_pushed, "`, `") + "`") +
        " |\n";
  md += "| Blobs | " + std::to_string(b.copied) + " copied, " +
        std::to_string(b.present + b.mounted) + " skipped (" + std::to_string(b.mounted) +
        " mounted) |\n";
  md += "| Bytes copied | " + util::format_bytes(b.bytes_copied) + " |\n";
  md += "| Time | " + util::format_duration(result.seconds) + " |\n";
  md += "| Requests | " + count_text(counts) + " |\n";
  md += referrers_markdown(result.referrers, result.dry_run);
  return md;
}

}  // namespace

std::string table_cell(const std::string& text) {
  std::string cell;
  for (char c : text) {
    if (c == '|')
      cell += "\\|";
    else if (c == '\n')
      cell += ' ';
    else
      cell += c;
  }
  return cell;
}

Status report(const cli::Options& options, const mirror::MirrorResult& result,
              const RunCounts& counts, const cli::EnvLookup& env) {
  auto& log = util::Log::get();
  const auto& b = result.blobs;
  const std::string copied = result.dry_run
                                 ? "would copy " + std::to_string(b.copied) + " blobs (" +
                                       util::format_bytes(b.bytes_copied) + ")"
                                 : std::to_string(b.copied) + " blobs copied (" +
                                       util::format_bytes(b.bytes_copied) + ", " +
                                       util::format_rate(b.bytes_copied, result.seconds) + ")";
  log.info(std::string(result.dry_run ? "dry run done" : "done") + " in " +
           util::format_duration(result.seconds) + ": " + copied + ", " +
           std::to_string(b.present) + " already present, " + std::to_string(b.mounted) +
           " mounted, " + std::to_string(result.manifests_pushed) + " manifests and " +
           std::to_string(result.tags_pushed.size()) + " tags pushed, " +
           std::to_string(result.referrers.count(mirror::ReferrerOutcome::Copied)) +
           " referrers copied; " + count_text(counts));

  const std::string image = options.destination.str() + "@" + result.mirrored_digest;
  cli::OutputList outputs = {
      {"mirrored-digest", result.mirrored_digest},
      {"source-digest", result.source_digest},
      {"tags-pushed", result.dry_run ? std::string() : util::join(result.tags_pushed, ",")},
      {"changed", result.changed ? "true" : "false"},
      {"image", image},
      {"referrers-pushed",
       result.dry_run ? std::string("0")
                      : std::to_string(result.referrers.count(mirror::ReferrerOutcome::Copied))},
      // A config run's (README.md, "Many images"); written here too so that every run writes the
      // same outputs.
      {"images-failed", "0"},
      {"matrix", ""},
  };
  if (auto written = cli::write_outputs(options.output_file, outputs); !written) return written;
  if (auto summary = env("GITHUB_STEP_SUMMARY"))
    (void)cli::append_step_summary(*summary, summary_markdown(options, result, counts));
  return {};
}

}  // namespace ecrm::app
