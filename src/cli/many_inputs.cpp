// --command, --config and the options of a many-images run. Files are checked for being readable
// (or writable) here; their contents by the modules that own them, before any request.
#include <filesystem>
#include <fstream>

#include "cli/inputs.hpp"
#include "util/strings.hpp"

namespace ecrm::cli::detail {
namespace fs = std::filesystem;
namespace {

Status readable(const Raw& raw, const std::string& what) {
  std::ifstream probe(raw.value);
  std::error_code ec;
  if (!fs::is_regular_file(raw.value, ec) || !probe.is_open())
    return usage(raw.origin + " " + in_quotes(raw.value) + " is not a readable file",
                 "Name an existing " + what +
                     " (relative paths start at the working directory: "
                     "the repository's root in Actions).");
  return {};
}

Status writable(const Raw& raw) {
  fs::path path(raw.value);
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::is_directory(path, ec))
    return usage(
        raw.origin + " " + in_quotes(raw.value) + " is not a file in an existing directory",
        "Point it at a file whose directory exists.");
  return {};
}

}  // namespace

Status read_many(const Inputs& in, Options& o) {
  if (auto command = in.value("command")) {
    const auto value = util::to_lower(command->value);
    if (value == "mirror")
      o.command = Command::Mirror;
    else if (value == "plan")
      o.command = Command::Plan;
    else if (value == "merge-reports")
      o.command = Command::MergeReports;
    else if (value == "check")
      o.command = Command::Check;
    else
      return usage(command->origin + " " + in_quotes(command->value) + " is not a command",
                   "Use mirror (the default), plan, merge-reports or check.");
  }
  if (auto config = in.value("config")) {
    if (auto st = readable(*config, "YAML config"); !st) return st;
    o.config_file = config->value;
  }
  for (auto [name, target] : {std::pair{"report-file", &o.report_file},
                              {"lock-file", &o.lock_file},
                              {"plan-file", &o.plan_file}}) {
    if (auto raw = in.value(name)) *target = raw->value;
  }
  auto locked = in.flag("locked", false);
  if (!locked) return locked.error();
  if (auto shard = in.value("shard")) o.shard = shard->value;
  if (auto st = read_int(in, "shards", 1, 256, o.shards); !st) return st;
  if (auto st = read_int(in, "parallel-images", 1, 32, o.parallel_images); !st) return st;
  if (auto reports = in.value("reports")) o.reports = util::split_list(reports->value);

  const bool many = !o.config_file.empty();
  if ((o.command == Command::Plan || o.command == Command::Check) && !many)
    return usage(std::string(o.command == Command::Plan ? "plan" : "check") +
                     " needs --config (INPUT_CONFIG)",
                 "Name the YAML file of images.");
  if (o.command == Command::MergeReports) {
    if (o.reports.empty())
      return usage("merge-reports needs the reports to merge",
                   "ecr-mirror report merge --report-file merged.json shard-1.json shard-2.json "
                   "(in the action: the reports input, one file per line).");
    if (o.report_file.empty())
      return usage("merge-reports needs --report-file (INPUT_REPORT-FILE) for the merged report",
                   "Name the file to write.");
    for (const auto& file : o.reports)
      if (auto st = readable({file, "--reports"}, "report"); !st) return st;
  }
  if (!many) {
    for (const char* name : {"report-file", "lock-file", "shard"}) {
      if (o.command == Command::MergeReports && std::string_view(name) == "report-file") continue;
      if (auto raw = in.value(name))
        return usage(raw->origin + " needs --config",
                     "A single image's results are the step outputs; give a config to mirror "
                     "many images with a report, a lock file or shards.");
    }
  }
  if (*locked) {
    auto lock = in.value("lock-file");
    if (!lock)
      return usage("--locked needs --lock-file (INPUT_LOCK-FILE)",
                   "Name the lock file an earlier run wrote with --lock-file.");
    if (auto st = readable(*lock, "lock file written by --lock-file"); !st) return st;
  } else if (auto lock = in.value("lock-file")) {
    if (auto st = writable(*lock); !st) return st;
  }
  if (auto report = in.value("report-file"); report && o.command != Command::MergeReports)
    if (auto st = writable(*report); !st) return st;
  if (!o.shard.empty()) {
    if (o.locked)
      return usage("--shard and --locked cannot be combined",
                   "A plan already pins every digest; make the plan with --locked instead.");
    if (auto plan = in.value("plan-file"); plan) {
      if (auto st = readable(*plan, "plan written by ecr-mirror plan"); !st) return st;
    } else if (auto st = readable({o.plan_file, "--plan-file"}, "plan written by ecr-mirror plan");
               !st) {
      return st;
    }
  }
  o.locked = *locked;
  return {};
}

}  // namespace ecrm::cli::detail
