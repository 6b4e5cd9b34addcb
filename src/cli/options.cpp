// The one file that includes Boost.Program_options: it only tokenises argv. Every value is
// validated by hand in the readers (inputs.cpp, mirror_inputs.cpp, aws_inputs.cpp) so that each
// error names the option (or INPUT_ variable) and the value.
#include "cli/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "cli/inputs.hpp"
#include "util/strings.hpp"

#ifndef ECRM_VERSION
#define ECRM_VERSION "0.0.0-dev"
#endif

namespace ecrm::cli {
namespace {

namespace po = boost::program_options;
using detail::in_quotes;
using detail::usage;

enum class Group { Mirror, Many, Credentials, Network, Aws, Repository, Output };

struct Spec {
  const char* name;
  Group group;
  const char* arg;  // nullptr: a boolean flag that takes no value
  const char* description;
  const char* default_text;
};

// Order matters: option_names() returns it and tests compare it with action.yml.
constexpr Spec kSpecs[] = {
    {"source", Group::Mirror, "REF", "Image to copy (tag and/or digest); required without --config",
     "none"},
    {"destination", Group::Mirror, "REPO",
     "Repository to copy into, without tag; required without --config", "none"},
    {"tags", Group::Mirror, "LIST", "Destination tag templates: {tag} {digest} {digest12}",
     "{tag},{tag}-{digest12}"},
    {"platforms", Group::Mirror, "LIST", "Platforms to copy (linux/amd64,linux/arm64) or all",
     "all"},
    {"dry-run", Group::Mirror, nullptr, "Resolve and plan, but write nothing", "false"},
    {"force", Group::Mirror, nullptr, "Copy even when the destination already matches", "false"},
    {"referrers", Group::Mirror, "MODE",
     "Signatures, SBOMs, attestations (OCI referrers, cosign tags): auto, require or off", "auto"},
    {"referrer-types", Group::Mirror, "LIST", "Copy only referrers of these artifact types", "all"},
    {"concurrency", Group::Network, "N", "Blobs transferred in parallel (1-64)", "16"},
    {"insecure-registries", Group::Network, "LIST", "host[:port] list to reach over plain HTTP",
     "none"},
    {"source-username", Group::Credentials, "USER", "Username for the source registry", "none"},
    {"source-password", Group::Credentials, "PASS", "Password or token for the source registry",
     "none"},
    {"destination-username", Group::Credentials, "USER", "Username for the destination registry",
     "none"},
    {"destination-password", Group::Credentials, "PASS",
     "Password or token for the destination registry", "none"},
    {"docker-config", Group::Credentials, "FILE", "Docker config.json whose auths entries are used",
     "$DOCKER_CONFIG/config.json, else ~/.docker/config.json"},
    {"output-file", Group::Output, "FILE", "Append step outputs here; empty for stdout",
     "$GITHUB_OUTPUT, else stdout"},
    {"connect-timeout", Group::Network, "SECONDS", "TCP+TLS connect timeout (1-600)", "30"},
    {"stall-timeout", Group::Network, "SECONDS", "Abort a transfer idle this long (1-3600)", "60"},
    {"timeout", Group::Network, "SECONDS", "Deadline for the whole run (1-86400)", "3600"},
    {"retry-time", Group::Network, "SECONDS", "Stop retrying a request after this (0-3600)", "120"},
    {"verbose", Group::Output, nullptr, "Log every request and decision", "false"},
    {"role-to-assume", Group::Aws, "ARN", "IAM role to assume with the GitHub OIDC token", "none"},
    {"aws-region", Group::Aws, "REGION", "Region for STS and private ECR", "us-east-1"},
    {"role-session-name", Group::Aws, "NAME", "Session name for the assumed role", "GitHubActions"},
    {"role-duration-seconds", Group::Aws, "SECONDS", "Assumed role session length (900-43200)",
     "3600"},
    {"audience", Group::Aws, "AUD", "Audience of the OIDC token", "sts.amazonaws.com"},
    {"destination-type", Group::Aws, "TYPE", "auto, ecr-public, ecr or registry", "auto"},
    {"create-repository", Group::Aws, nullptr, "Create the ECR repository when missing", "false"},
    {"image-tag-mutability", Group::Repository, "MODE",
     "ECR: MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION", "MUTABLE"},
    {"immutable-tag-exclusions", Group::Repository, "LIST",
     "ECR: wildcard filters (up to 5) for the *_WITH_EXCLUSION modes", "none"},
    {"encryption", Group::Repository, "TYPE", "ECR: AES256, KMS or KMS_DSSE", "AES256"},
    {"kms-key", Group::Repository, "KEY", "ECR: KMS key ARN or alias (with KMS)",
     "the AWS managed key"},
    {"scan-on-push", Group::Repository, "BOOL", "ECR: basic scan of every pushed image", "true"},
    {"lifecycle-policy", Group::Repository, "FILE", "ECR: lifecycle policy JSON, checked first",
     "none"},
    {"repository-tags", Group::Repository, "LIST", "Resource tags, Key=Value list", "none"},
    {"repository-description", Group::Repository, "TEXT", "ECR Public: catalog description",
     "Mirror of SOURCE"},
    {"repository-about", Group::Repository, "TEXT", "ECR Public: catalog about text (Markdown)",
     "none"},
    {"repository-usage", Group::Repository, "TEXT", "ECR Public: catalog usage text (Markdown)",
     "none"},
    {"command", Group::Many, "NAME",
     "mirror, plan (resolve a config and write shards), merge-reports or check (the config)",
     "mirror"},
    {"config", Group::Many, "FILE", "YAML file of many images and their tag selections", "none"},
    {"report-file", Group::Many, "FILE", "Write the JSON report of every image here", "none"},
    {"lock-file", Group::Many, "FILE", "Write tag -> digest of every mirrored tag here", "none"},
    {"locked", Group::Many, nullptr, "Mirror exactly the digests in --lock-file", "false"},
    {"plan-file", Group::Many, "FILE", "The plan that plan writes and --shard runs",
     "ecr-mirror-plan.json"},
    {"shard", Group::Many, "K/N", "Run shard K of the plan's N", "none"},
    {"shards", Group::Many, "N", "plan: at most this many shards (1-256)", "4"},
    {"parallel-images", Group::Many, "N", "Images copied at once (1-32)", "4"},
    {"reports", Group::Many, "LIST", "merge-reports: the shard reports to merge", "none"},
};

const Spec* find_spec(std::string_view name) {
  for (const auto& spec : kSpecs) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

constexpr const char* kSeeHelp = "Run ecr-mirror --help for the list of options.";

std::string help_text() {
  static constexpr std::pair<Group, const char*> kGroups[] = {
      {Group::Mirror, "Mirror"},
      {Group::Many, "Many images (README.md, \"Many images\")"},
      {Group::Credentials, "Registry credentials"},
      {Group::Network, "Network"},
      {Group::Aws, "AWS"},
      {Group::Repository, "Repository settings (applied when --create-repository creates it)"},
      {Group::Output, "Output"},
  };
  static constexpr std::size_t kColumn = 36;
  auto line = [](std::string left, std::string_view right) {
    left = "  " + left;
    left.resize(std::max(left.size() + 1, kColumn), ' ');
    return left + std::string(right) + "\n";
  };
  std::string text =
      "Usage: ecr-mirror --source REF --destination REPO [options]\n"
      "       ecr-mirror --config FILE [--report-file F] [--lock-file F [--locked]] [options]\n"
      "       ecr-mirror plan --config FILE [--plan-file F] [--shards N]\n"
      "       ecr-mirror check --config FILE\n"
      "       ecr-mirror --config FILE --plan-file F --shard K/N [--report-file F]\n"
      "       ecr-mirror report merge --report-file OUT REPORT...\n\n"
      "Copies an image (every platform of a multi-arch index) between OCI registries.\n"
      "Each option can also come from the environment as INPUT_<NAME> (upper-case, hyphens\n"
      "kept, e.g. INPUT_DRY-RUN=true), as GitHub Actions passes inputs; a flag wins.\n";
  for (const auto& [group, title] : kGroups) {
    text += std::string("\n") + title + ":\n";
    for (const auto& spec : kSpecs) {
      if (spec.group != group) continue;
      std::string left =
          std::string("--") + spec.name + (spec.arg ? std::string(" ") + spec.arg : "");
      std::string_view fallback = spec.default_text;
      text +=
          line(left, std::string(spec.description) +
                         (fallback == "required" ? " (required)"
                                                 : " (default: " + std::string(fallback) + ")"));
    }
    if (group == Group::Output) {
      text += line("--help, -h", "Print this help and exit");
      text += line("--version", "Print the version and exit");
    }
  }
  return text;
}

// Boost takes "--source --dry-run" as source="--dry-run"; a forgotten value is the likelier
// mistake, so a value option followed by another known option is reported as missing its value.
Status check_missing_values(int argc, const char* const* argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    std::string_view arg = argv[i];
    if (!util::starts_with(arg, "--")) continue;
    const Spec* spec = find_spec(arg.substr(2));
    if (!spec || !spec->arg) continue;
    std::string_view next = argv[i + 1];
    if (!util::starts_with(next, "--")) continue;
    auto next_name = next.substr(
        2, next.find('=') == std::string_view::npos ? std::string_view::npos : next.find('=') - 2);
    if (find_spec(next_name) || next_name == "help" || next_name == "version") {
      return usage(std::string(arg) + " is missing its value (next came the option " +
                       std::string(next) + ")",
                   "Write " + std::string(arg) + " " + spec->arg + ". " + kSeeHelp);
    }
    ++i;
  }
  return {};
}

Expected<Parsed> parse(int argc_in, const char* const* argv_in, const EnvLookup& env) {
  // "ecr-mirror plan …" and "ecr-mirror report merge A B": the subcommand is --command, the
  // files after "report merge" are --reports.
  std::vector<const char*> args(argv_in, argv_in + argc_in);
  std::map<std::string, std::string> subcommand;
  if (args.size() > 1 &&
      (std::string_view(args[1]) == "plan" || std::string_view(args[1]) == "mirror" ||
       std::string_view(args[1]) == "check")) {
    subcommand["command"] = args[1];
    args.erase(args.begin() + 1);
  } else if (args.size() > 2 && std::string_view(args[1]) == "report" &&
             std::string_view(args[2]) == "merge") {
    subcommand["command"] = "merge-reports";
    args.erase(args.begin() + 1, args.begin() + 3);
    std::string files;
    for (std::size_t i = 1; i < args.size();) {
      std::string_view arg = args[i];
      if (!util::starts_with(arg, "-")) {
        files += (files.empty() ? "" : ",") + std::string(arg);
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      const Spec* spec = util::starts_with(arg, "--") ? find_spec(arg.substr(2)) : nullptr;
      i += (spec && spec->arg && arg.find('=') == std::string_view::npos) ? 2 : 1;
    }
    if (!files.empty()) subcommand["reports"] = files;
  }
  const int argc = static_cast<int>(args.size());
  const char* const* argv = args.data();
  po::options_description described;
  auto add = described.add_options();
  add("help,h", "")("version", "");
  for (const auto& spec : kSpecs) {
    if (spec.arg) {
      add(spec.name, po::value<std::string>(), spec.description);
    } else {
      add(spec.name, po::bool_switch(), spec.description);
    }
  }
  add("positional-argument", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("positional-argument", -1);
  // No abbreviations: "--dest" must not silently pick destination or destination-type.
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

  if (auto st = check_missing_values(argc, argv); !st) return st.error();
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(described)
                  .positional(positional)
                  .style(style)
                  .run(),
              vm);
  } catch (const po::error& e) {
    return usage(std::string("command line: ") + e.what(), kSeeHelp);
  }
  if (vm.count("positional-argument")) {
    auto stray = vm["positional-argument"].as<std::vector<std::string>>();
    return usage("unexpected argument " + in_quotes(stray.front()) +
                     " (every value needs its option, e.g. --source " + stray.front() + ")",
                 kSeeHelp);
  }

  Parsed parsed;
  if (vm.count("help")) {
    parsed.action = Action::Help;
    parsed.text = help_text();
    return parsed;
  }
  if (vm.count("version")) {
    parsed.action = Action::Version;
    parsed.text = std::string("ecr-mirror ") + ECRM_VERSION + "\n";
    return parsed;
  }

  std::map<std::string, std::string> flag_values = subcommand;
  std::set<std::string> switches;
  for (const auto& spec : kSpecs) {
    if (!vm.count(spec.name)) continue;
    if (spec.arg) {
      flag_values[spec.name] = vm[spec.name].as<std::string>();
    } else if (!vm[spec.name].defaulted()) {
      // bool_switch entries always exist in the map; only a non-defaulted one was typed.
      switches.insert(spec.name);
    }
  }
  detail::Inputs in(std::move(flag_values), std::move(switches), env);
  Options& o = parsed.options;
  if (auto st = detail::read_many(in, o); !st) return st.error();
  if (auto st = detail::read_mirror(in, o); !st) return st.error();
  for (auto [name, target] : {std::pair{"dry-run", &o.dry_run},
                              {"force", &o.force},
                              {"verbose", &o.verbose},
                              {"create-repository", &o.create_repository}}) {
    auto value = in.flag(name, *target);
    if (!value) return value.error();
    *target = *value;
  }
  if (auto st = detail::read_credentials(in, env, o); !st) return st.error();
  if (auto st = detail::read_output_file(in, env, o); !st) return st.error();
  if (auto st = detail::read_network(in, o); !st) return st.error();
  if (auto st = detail::read_aws(in, o); !st) return st.error();
  if (auto st = detail::read_repository(in, o); !st) return st.error();
  o.repository.create = o.create_repository;
  return parsed;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Expected<Parsed> parse_options(int argc, const char* const* argv, const EnvLookup& env) {
  try {
    return parse(argc, argv, env);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::Internal, std::string("option parsing failed: ") + e.what());
  }
}

std::vector<std::string> option_names() {
  std::vector<std::string> names;
  for (const auto& spec : kSpecs) names.emplace_back(spec.name);
  return names;
}

}  // namespace ecrm::cli
