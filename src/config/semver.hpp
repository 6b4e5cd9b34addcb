#pragma once
// Versions in tags and the ranges that choose them, as npm's node-semver reads them: "1.2.3",
// "v1.2" (missing parts are 0), "1.2.3-rc.1" (a pre-release, which no range matches: a mirror of
// "^1" must not pick up a release candidate); ranges ">=1.2 <2", "^1.2.3", "~1.2", "1.x", "1.2",
// "*", alternatives joined by "||".
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::config {

struct Version {
  int major = 0, minor = 0, patch = 0;
  std::string prerelease;  // after '-', "" for a release
  auto key() const { return std::tuple(major, minor, patch); }
};

// nullopt when the tag is not a version ("latest", "20-alpine" is 20.0.0-alpine, a pre-release).
std::optional<Version> parse_version(std::string_view tag);

// Orders versions: releases by number; a pre-release before its release, pre-releases by text.
bool version_less(const Version& a, const Version& b);

class Range {
 public:
  static Expected<Range> parse(std::string_view text);
  bool matches(const Version& version) const;

 private:
  struct Bound {
    enum class Op { Ge, Gt, Le, Lt, Eq } op;
    Version version;
  };
  std::vector<std::vector<Bound>> alternatives_;  // OR of ANDs
};

}  // namespace ecrm::config
