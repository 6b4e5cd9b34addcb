#pragma once
// A many-images run as the user wrote it (--config FILE): defaults, the images with their tag
// selections, and per-registry settings. Pure values, checked when read: every error names the
// file, line and key. yaml-cpp is used only by yaml_config.cpp.
#include <optional>
#include <string>
#include <vector>

#include "mirror/referrers.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::config {

// One way of choosing tags from the source repository's list. Several selections of one image OR
// together; within one, a tag must pass `allow` (any regex; none: every tag) and `semver`, and no
// `deny` regex; then the newest `latest` are kept.
struct Selection {
  std::vector<std::string> tags;   // literal: need no listing
  std::vector<std::string> allow;  // ECMAScript regexes, anchored (the whole tag must match)
  std::vector<std::string> deny;
  std::string semver;  // a range (config/semver.hpp); tags that are not versions never match
  int latest = 0;      // 0: all that match
  bool by_pattern() const { return !allow.empty() || !semver.empty() || latest > 0; }
};

struct Entry {
  std::string where;        // "file:line", for messages
  name::Reference source;   // repository, with the tag or digest the user gave, if any
  std::string destination;  // a template ({registry} {repo} {name}); "" → the default
  std::vector<Selection> selections;
  std::vector<std::string> digests;        // pinned by digest (their templates need no {tag})
  std::vector<std::string> tag_templates;  // empty → the defaults'
  std::optional<std::vector<oci::Platform>> platforms;
  bool by_pattern() const;
};

struct RegistrySettings {
  std::string where;
  std::string host;
  std::string username_env;  // names of environment variables: the file never holds a secret
  std::string password_env;
  bool insecure = false;
  double requests_per_second = 0;  // 0: unlimited
};

struct Defaults {
  std::string destination;  // template; required unless every image names its own
  std::vector<std::string> tag_templates;
  std::vector<oci::Platform> platforms;  // empty: all
  std::optional<mirror::ReferrerPolicy> referrers;
  std::optional<bool> create_repository;
};

struct Config {
  std::string path;
  std::string digest;  // sha256 of the file's bytes: a plan names the config it was made from
  Defaults defaults;
  std::vector<Entry> entries;
  std::vector<RegistrySettings> registries;
  const RegistrySettings* registry(const std::string& host) const;
};

// Reads and checks the whole file before any network request.
Expected<Config> load_config(const std::string& path);
Expected<Config> parse_config(const std::string& text, const std::string& path);

// The destination repository of one entry: its template with {registry} (the source's host),
// {repo} (its path) and {name} (the path's last component) filled in.
Expected<name::Repository> destination_for(const Entry& entry, const Defaults& defaults);

}  // namespace ecrm::config
