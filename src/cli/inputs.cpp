// Value readers shared by every option group, and the credential, output and network options.
#include "cli/inputs.hpp"

#include <filesystem>
#include <fstream>
#include <string_view>
#include <tuple>
#include <utility>

#include "util/strings.hpp"

namespace ecrm::cli::detail {
namespace fs = std::filesystem;
namespace {

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

}  // namespace

std::optional<Raw> Inputs::value(const char* name, bool trim) const {
  auto it = flags_.find(name);
  auto raw = it != flags_.end() ? Raw{it->second, std::string("--") + name} : from_env(name);
  if (trim) raw.value = util::trim(raw.value);
  if (raw.value.empty()) return std::nullopt;
  return raw;
}

bool Inputs::given_empty(const char* name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && util::trim(it->second).empty();
}

Expected<bool> Inputs::flag(const char* name, bool fallback) const {
  if (switches_.count(name)) return true;
  auto raw = from_env(name);
  if (util::trim(raw.value).empty()) return fallback;
  if (auto value = parse_bool(raw.value)) return *value;
  return usage(raw.origin + " must be true or false, got " + in_quotes(raw.value),
               "Use true/false (yes/no and 1/0 are accepted too).");
}

Raw Inputs::from_env(const char* name) const {
  auto var = "INPUT_" + util::to_upper(name);
  return Raw{env_(var).value_or(""), var};
}

std::optional<bool> parse_bool(std::string_view text) {
  const auto v = util::to_lower(util::trim(text));
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Error usage(std::string message, std::string hint) {
  return make_error(ErrorKind::Usage, std::move(message), std::move(hint));
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

Status read_credentials(const Inputs& in, const EnvLookup& env, Options& o) {
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
  return read_docker_config(in, env, o);
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

Status read_network(const Inputs& in, Options& o) {
  for (auto [name, low, high, target] :
       {std::tuple{"connect-timeout", 1, 600, &o.connect_timeout_seconds},
        {"stall-timeout", 1, 3600, &o.stall_timeout_seconds},
        {"timeout", 1, 86400, &o.timeout_seconds},
        {"retry-time", 0, 3600, &o.retry_seconds}}) {
    if (auto st = read_int(in, name, low, high, *target); !st) return st;
  }
  return {};
}

}  // namespace ecrm::cli::detail
