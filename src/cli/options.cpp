// The one file that includes Boost.Program_options: it only tokenises argv; every value is
// validated here by hand so that each error names the option (or INPUT_ variable) and the value.
#include "cli/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string_view>
#include <tuple>
#include <utility>

#include "mirror/tag_template.hpp"
#include "util/strings.hpp"

#ifndef ECRM_VERSION
#define ECRM_VERSION "0.0.0-dev"
#endif

namespace ecrm::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

enum class Group { Mirror, Credentials, Network, Aws, Output };

struct Spec {
  const char* name;
  Group group;
  const char* arg;  // nullptr: a boolean flag that takes no value
  const char* description;
  const char* default_text;
};

// Order matters: option_names() returns it and tests compare it with action.yml.
constexpr Spec kSpecs[] = {
    {"source", Group::Mirror, "REF", "Image to copy (tag and/or digest)", "required"},
    {"destination", Group::Mirror, "REPO", "Repository to copy into, without tag", "required"},
    {"tags", Group::Mirror, "LIST", "Destination tag templates: {tag} {digest} {digest12}",
     "{tag},{tag}-{digest12}"},
    {"platforms", Group::Mirror, "LIST", "Platforms to copy (linux/amd64,linux/arm64) or all",
     "all"},
    {"dry-run", Group::Mirror, nullptr, "Resolve and plan, but write nothing", "false"},
    {"force", Group::Mirror, nullptr, "Copy even when the destination already matches", "false"},
    {"concurrency", Group::Network, "N", "Blobs transferred in parallel (1-64)", "8"},
    {"insecure-registries", Group::Network, "LIST", "host[:port] list to reach over plain HTTP",
     "none"},
    {"source-username", Group::Credentials, "USER", "Username for the source registry", "none"},
    {"source-password", Group::Credentials, "PASS", "Password or token for the source registry",
     "none"},
    {"destination-username", Group::Credentials, "USER", "Username for the destination registry",
     "none"},
    {"destination-password", Group::Credentials, "PASS",
     "Password or token for the destination registry", "none"},
    {"docker-config", Group::Credentials, "FILE", "Docker config.json with auths/credHelpers",
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
};

const Spec* find_spec(std::string_view name) {
  for (const auto& spec : kSpecs) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Error usage(std::string message, std::string hint) {
  return make_error(ErrorKind::Usage, std::move(message), std::move(hint));
}

constexpr const char* kSeeHelp = "Run ecr-mirror --help for the list of options.";

// A value and where it came from ("--concurrency" or "INPUT_CONCURRENCY"), so errors name what
// the user actually wrote.
struct Raw {
  std::string value;
  std::string origin;
};

class Inputs {
 public:
  Inputs(const po::variables_map& vm, const EnvLookup& env) : vm_(vm), env_(env) {}

  // Flags win; the runner passes every declared input, empty when unused, so "" is unset
  // (an explicit empty flag too, except where given_empty() gives it a meaning).
  std::optional<Raw> value(const char* name, bool trim = true) const {
    auto raw = vm_.count(name) ? Raw{vm_[name].as<std::string>(), std::string("--") + name}
                               : from_env(name);
    if (trim) raw.value = util::trim(raw.value);
    if (raw.value.empty()) return std::nullopt;
    return raw;
  }

  bool given_empty(const char* name) const {
    return vm_.count(name) && util::trim(vm_[name].as<std::string>()).empty();
  }

  // bool_switch entries always exist in the map; only a non-defaulted one was typed.
  Expected<bool> flag(const char* name, bool fallback) const {
    if (vm_.count(name) && !vm_[name].defaulted()) return vm_[name].as<bool>();
    auto raw = from_env(name);
    auto v = util::to_lower(util::trim(raw.value));
    if (v.empty()) return fallback;
    if (v == "true" || v == "yes" || v == "1") return true;
    if (v == "false" || v == "no" || v == "0") return false;
    return usage(raw.origin + " must be true or false, got " + in_quotes(raw.value),
                 "Use true/false (yes/no and 1/0 are accepted too).");
  }

 private:
  Raw from_env(const char* name) const {
    auto var = "INPUT_" + util::to_upper(name);
    return Raw{env_(var).value_or(""), var};
  }

  const po::variables_map& vm_;
  const EnvLookup& env_;
};

// "a,,b" is a typo the user should hear about; a trailing comma or the newline a YAML block
// scalar ends with is not.
Status no_empty_items(const Raw& raw) {
  std::vector<std::string> items;
  std::string current;
  for (char c : raw.value) {
    if (c == ',' || c == '\n') {
      items.push_back(util::trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  items.push_back(util::trim(current));
  while (!items.empty() && items.back().empty()) items.pop_back();
  while (!items.empty() && items.front().empty()) items.erase(items.begin());
  for (const auto& item : items) {
    if (item.empty()) {
      return usage(raw.origin + " " + in_quotes(raw.value) + " has an empty item",
                   "Remove the doubled separator: items are separated by one comma or newline.");
    }
  }
  return {};
}

Status read_int(const Inputs& in, const char* name, int low, int high, int& out) {
  auto raw = in.value(name);
  if (!raw) return {};
  std::uint64_t number = 0;
  if (!util::parse_uint(raw->value, number) || number < static_cast<std::uint64_t>(low) ||
      number > static_cast<std::uint64_t>(high)) {
    return usage(raw->origin + " " + in_quotes(raw->value) + " is not a whole number from " +
                     std::to_string(low) + " to " + std::to_string(high),
                 "Give --" + std::string(name) + " a value from " + std::to_string(low) + " to " +
                     std::to_string(high) + ".");
  }
  out = static_cast<int>(number);
  return {};
}

// Error from another module (reference, platform, template parsing), prefixed with where the
// value came from.
Error from(const Raw& raw, const Error& inner) {
  return usage(raw.origin + ": " + inner.message, inner.hint);
}

Status read_mirror(const Inputs& in, Options& o) {
  auto source = in.value("source");
  if (!source) {
    return usage(
        "--source (INPUT_SOURCE) is required",
        "Name the image to copy, e.g. --source public.ecr.aws/docker/library/alpine:3.20.");
  }
  auto ref = name::parse_reference(source->value);
  if (!ref) return from(*source, ref.error());
  o.source = std::move(*ref);

  auto destination = in.value("destination");
  if (!destination) {
    return usage("--destination (INPUT_DESTINATION) is required",
                 "Name the repository to copy into, e.g. --destination 123456789012.dkr.ecr."
                 "us-east-1.amazonaws.com/alpine.");
  }
  auto repo = name::parse_repository(destination->value);
  if (!repo) return from(*destination, repo.error());
  o.destination = std::move(*repo);

  o.tag_templates = mirror::kDefaultTagTemplates;
  if (auto tags = in.value("tags")) {
    if (auto st = no_empty_items(*tags); !st) return st;
    o.tag_templates = util::split_list(tags->value);
    if (o.tag_templates.empty()) {
      return usage(tags->origin + " " + in_quotes(tags->value) + " names no tag template",
                   "Give templates separated by commas or newlines, e.g. {tag},{tag}-{digest12}.");
    }
    auto valid = mirror::validate_tag_templates(o.tag_templates, o.source.tag);
    if (!valid) return from(*tags, valid.error());
  } else if (!mirror::validate_tag_templates(o.tag_templates, o.source.tag)) {
    // The default templates use {tag}, which a digest-only source cannot fill.
    return usage("the default --tags " + util::join(o.tag_templates, ",") + " need a tag, but " +
                     source->origin + " " + in_quotes(source->value) + " has none",
                 "Add a tag to the source or pass tags without {tag}, e.g. --tags "
                 "mirror-{digest12}.");
  }

  if (auto platforms = in.value("platforms");
      platforms && !util::iequals(platforms->value, "all")) {
    if (auto st = no_empty_items(*platforms); !st) return st;
    auto items = util::split_list(platforms->value);
    if (items.empty()) {
      return usage(platforms->origin + " " + in_quotes(platforms->value) + " names no platform",
                   "Give os/arch[/variant] items such as linux/amd64,linux/arm64, or all.");
    }
    for (const auto& item : items) {
      auto platform = oci::parse_platform(item);
      if (!platform) return from(*platforms, platform.error());
      bool seen = false;
      for (const auto& p : o.platforms) seen = seen || p == *platform;
      if (!seen) o.platforms.push_back(std::move(*platform));
    }
  }

  if (auto insecure = in.value("insecure-registries")) {
    if (auto st = no_empty_items(*insecure); !st) return st;
    for (const auto& item : util::split_list(insecure->value)) {
      if (item.find("://") != std::string::npos) {
        return usage(insecure->origin + " entry " + in_quotes(item) + " contains a URL scheme",
                     "Give just host:port (e.g. localhost:5000); plain HTTP is implied.");
      }
      auto host = util::to_lower(item);
      if (!name::is_valid_registry_host(host)) {
        return usage(insecure->origin + " entry " + in_quotes(item) + " is not a registry host",
                     "Give host or host:port items, e.g. localhost:5000,10.0.0.5:5000.");
      }
      bool seen = false;
      for (const auto& h : o.insecure_registries) seen = seen || h == host;
      if (!seen) o.insecure_registries.push_back(std::move(host));
    }
  }
  return read_int(in, "concurrency", 1, 64, o.concurrency);
}

// docker's own lookup: an explicit file must exist; otherwise $DOCKER_CONFIG/config.json when
// DOCKER_CONFIG is set (docker does not fall back to $HOME then), else ~/.docker/config.json.
Status read_docker_config(const Inputs& in, const EnvLookup& env, Options& o) {
  std::error_code ec;
  if (auto explicit_path = in.value("docker-config")) {
    const auto& path = explicit_path->value;
    std::ifstream probe(path);
    if (!fs::is_regular_file(path, ec) || !probe.is_open()) {
      return usage(explicit_path->origin + " " + in_quotes(path) + " is not a readable file",
                   "Name an existing Docker config.json, or leave docker-config unset.");
    }
    o.docker_config = path;
    o.docker_config_explicit = true;
    return {};
  }
  fs::path candidate;
  if (auto dir = env("DOCKER_CONFIG"); dir && !dir->empty()) {
    candidate = fs::path(*dir) / "config.json";
  } else if (auto home = env("HOME"); home && !home->empty()) {
    candidate = fs::path(*home) / ".docker" / "config.json";
  }
  if (!candidate.empty() && fs::is_regular_file(candidate, ec))
    o.docker_config = candidate.string();
  return {};
}

Status read_output_file(const Inputs& in, const EnvLookup& env, Options& o) {
  std::optional<Raw> raw;
  // An explicit empty flag means stdout, even under Actions where GITHUB_OUTPUT is set.
  if (in.given_empty("output-file")) return {};
  if (auto flag = in.value("output-file")) {
    raw = std::move(flag);
  } else if (auto github = env("GITHUB_OUTPUT"); github && !github->empty()) {
    raw = Raw{*github, "GITHUB_OUTPUT"};
  }
  if (!raw || raw->value.empty()) return {};
  fs::path path(raw->value);
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::is_directory(path, ec)) {
    return usage(
        raw->origin + " " + in_quotes(raw->value) + " is not a file in an existing directory",
        "Point output-file at a file whose directory exists, or pass --output-file \"\" "
        "to print the outputs.");
  }
  o.output_file = raw->value;
  return {};
}

bool is_session_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_+=,.@-").find(c) != std::string_view::npos;
}

Status read_aws(const Inputs& in, Options& o) {
  static const std::regex kRoleArn(R"(^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$)");
  static const std::regex kRegion(R"(^[a-z]{2}(-[a-z]+)+-\d+$)");
  if (auto role = in.value("role-to-assume")) {
    if (!std::regex_match(role->value, kRoleArn)) {
      return usage(role->origin + " " + in_quotes(role->value) + " is not an IAM role ARN",
                   "Use the role's full ARN: arn:aws:iam::123456789012:role/NAME.");
    }
    o.role_to_assume = role->value;
  }
  if (auto region = in.value("aws-region")) {
    if (!std::regex_match(region->value, kRegion)) {
      return usage(region->origin + " " + in_quotes(region->value) + " is not an AWS region name",
                   "Use a region code such as us-east-1 or eu-central-2.");
    }
    o.aws_region = region->value;
  }
  if (auto session = in.value("role-session-name")) {
    const auto& s = session->value;
    bool valid = s.size() >= 2 && s.size() <= 64;
    for (char c : s) valid = valid && is_session_name_char(c);
    if (!valid) {
      return usage(session->origin + " " + in_quotes(s) + " is not a valid role session name",
                   "Use 2 to 64 characters from letters, digits and _+=,.@-.");
    }
    o.role_session_name = s;
  }
  if (auto st = read_int(in, "role-duration-seconds", 900, 43200, o.role_duration_seconds); !st) {
    return st;
  }
  // An empty INPUT_AUDIENCE means "use the default"; an explicit empty flag is a mistake.
  if (in.given_empty("audience")) {
    return usage("--audience \"\" is empty", "Leave audience unset for sts.amazonaws.com.");
  }
  if (auto audience = in.value("audience")) o.audience = audience->value;
  if (auto type = in.value("destination-type")) {
    auto t = util::to_lower(type->value);
    if (t != "auto" && t != "ecr-public" && t != "ecr" && t != "registry") {
      return usage(type->origin + " " + in_quotes(type->value) + " is not a destination type",
                   "Use one of auto, ecr-public, ecr, registry.");
    }
    o.destination_type = t;
  }
  return {};
}

std::string help_text() {
  static constexpr std::pair<Group, const char*> kGroups[] = {
      {Group::Mirror, "Mirror"},   {Group::Credentials, "Registry credentials"},
      {Group::Network, "Network"}, {Group::Aws, "AWS"},
      {Group::Output, "Output"},
  };
  static constexpr std::size_t kColumn = 36;
  auto line = [](std::string left, std::string_view right) {
    left = "  " + left;
    left.resize(std::max(left.size() + 1, kColumn), ' ');
    return left + std::string(right) + "\n";
  };
  std::string text =
      "Usage: ecr-mirror --source REF --destination REPO [options]\n\n"
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

Expected<Parsed> parse(int argc, const char* const* argv, const EnvLookup& env) {
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

  Inputs in(vm, env);
  Options& o = parsed.options;
  if (auto st = read_mirror(in, o); !st) return st.error();
  for (auto [name, target] : {std::pair{"dry-run", &o.dry_run},
                              {"force", &o.force},
                              {"verbose", &o.verbose},
                              {"create-repository", &o.create_repository}}) {
    auto value = in.flag(name, *target);
    if (!value) return value.error();
    *target = *value;
  }
  // Secrets are taken verbatim (no trimming) and never echoed in any message.
  for (auto [name, target] : {std::pair{"source-username", &o.source_username},
                              {"source-password", &o.source_password},
                              {"destination-username", &o.destination_username},
                              {"destination-password", &o.destination_password}}) {
    if (auto raw = in.value(name, std::string_view(name).ends_with("username")))
      *target = raw->value;
  }
  // RFC 7617 §2: a Basic user-id cannot contain ':' (the registry would split it there and
  // treat the rest as part of the password).
  for (auto [name, value] : {std::pair{"source-username", &o.source_username},
                             {"destination-username", &o.destination_username}}) {
    if (value->find(':') != std::string::npos)
      return usage(std::string("--") + name + " " + in_quotes(*value) + " contains ':'",
                   "A registry username cannot contain ':' (RFC 7617); check that the username "
                   "and password were not given together.");
  }
  if (auto st = read_docker_config(in, env, o); !st) return st.error();
  if (auto st = read_output_file(in, env, o); !st) return st.error();
  for (auto [name, low, high, target] :
       {std::tuple{"connect-timeout", 1, 600, &o.connect_timeout_seconds},
        {"stall-timeout", 1, 3600, &o.stall_timeout_seconds},
        {"timeout", 1, 86400, &o.timeout_seconds},
        {"retry-time", 0, 3600, &o.retry_seconds}}) {
    if (auto st = read_int(in, name, low, high, *target); !st) return st.error();
  }
  if (auto st = read_aws(in, o); !st) return st.error();
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
