#pragma once
// Inside cli/: the parsed command line and the INPUT_* environment seen as one set of named
// values, and the readers that validate them into Options. No Boost here: options.cpp tokenises
// argv and hands the result over as plain maps.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cli/options.hpp"
#include "util/expected.hpp"

namespace ecrm::cli::detail {

// A value and where it came from ("--concurrency" or "INPUT_CONCURRENCY"), so errors name what
// the user actually wrote.
struct Raw {
  std::string value;
  std::string origin;
};

class Inputs {
 public:
  // flag_values: value options given on the command line; switches: boolean flags typed there.
  Inputs(std::map<std::string, std::string> flag_values, std::set<std::string> switches,
         const EnvLookup& env)
      : flags_(std::move(flag_values)), switches_(std::move(switches)), env_(env) {}

  // Flags win; the runner passes every declared input, empty when unused, so "" is unset
  // (an explicit empty flag too, except where given_empty() gives it a meaning).
  std::optional<Raw> value(const char* name, bool trim = true) const;
  bool given_empty(const char* name) const;
  // A typed switch is true; otherwise INPUT_<NAME> as true/false/yes/no/1/0; otherwise fallback.
  Expected<bool> flag(const char* name, bool fallback) const;

 private:
  Raw from_env(const char* name) const;

  std::map<std::string, std::string> flags_;
  std::set<std::string> switches_;
  const EnvLookup& env_;
};

std::string in_quotes(std::string_view text);
// true/false, yes/no, 1/0 (any case); nullopt for anything else.
std::optional<bool> parse_bool(std::string_view text);
Error usage(std::string message, std::string hint);

Status read_int(const Inputs& in, const char* name, int low, int high, int& out);
// --command, --config, --report-file, --lock-file, --plan-file, --shard, --shards,
// --parallel-images, --reports (read first: --config makes --source optional).
Status read_many(const Inputs& in, Options& o);
// --source, --destination, --tags, --platforms, --insecure-registries, --concurrency.
Status read_mirror(const Inputs& in, Options& o);
// Registry usernames and passwords; --docker-config and its default lookup.
Status read_credentials(const Inputs& in, const EnvLookup& env, Options& o);
Status read_output_file(const Inputs& in, const EnvLookup& env, Options& o);
Status read_network(const Inputs& in, Options& o);
Status read_aws(const Inputs& in, Options& o);
// The settings --create-repository gives a new repository; a lifecycle policy file is read and
// checked here.
Status read_repository(const Inputs& in, Options& o);

}  // namespace ecrm::cli::detail
