#include "config/semver.hpp"

#include <catch2/catch.hpp>
#include <string>

using ecrm::config::parse_version;
using ecrm::config::Range;
using ecrm::config::version_less;

namespace {

bool in(const std::string& range, const std::string& tag) {
  auto r = Range::parse(range);
  REQUIRE(r);
  auto v = parse_version(tag);
  return v && r->matches(*v);
}

}  // namespace

TEST_CASE("versions in tags", "[semver]") {
  CHECK(parse_version("1.2.3")->key() == std::tuple(1, 2, 3));
  CHECK(parse_version("v1.2")->key() == std::tuple(1, 2, 0));
  CHECK(parse_version("20")->key() == std::tuple(20, 0, 0));
  CHECK(parse_version("22-alpine")->prerelease == "alpine");
  CHECK(parse_version("1.2.3+build.5")->prerelease.empty());
  for (const char* tag : {"latest", "noble", "1.2.3.4", "01.2", "1..2", "", "v", "1.2-", "x"})
    CHECK_FALSE(parse_version(tag));
}

TEST_CASE("version order: pre-releases before their release", "[semver]") {
  CHECK(version_less(*parse_version("1.9.0"), *parse_version("1.10.0")));
  CHECK(version_less(*parse_version("2.0.0-rc.1"), *parse_version("2.0.0")));
  CHECK_FALSE(version_less(*parse_version("2.0.0"), *parse_version("2.0.0-rc.1")));
}

TEST_CASE("ranges as node-semver reads them", "[semver]") {
  CHECK(in(">=20 <23", "20"));
  CHECK(in(">=20 <23", "22.9.1"));
  CHECK_FALSE(in(">=20 <23", "23"));
  CHECK_FALSE(in(">=20 <23", "19.9.9"));
  CHECK_FALSE(in(">=20 <23", "22-alpine"));  // a pre-release never matches
  CHECK(in("^1.2.3", "1.9.0"));
  CHECK_FALSE(in("^1.2.3", "2.0.0"));
  CHECK_FALSE(in("^1.2.3", "1.2.2"));
  CHECK(in("^0.2.3", "0.2.9"));
  CHECK_FALSE(in("^0.2.3", "0.3.0"));
  CHECK(in("^0.0.3", "0.0.3"));
  CHECK_FALSE(in("^0.0.3", "0.0.4"));
  CHECK(in("~1.2", "1.2.7"));
  CHECK_FALSE(in("~1.2", "1.3.0"));
  CHECK(in("~1", "1.9"));
  CHECK(in("1.x", "1.4.2"));
  CHECK_FALSE(in("1.x", "2.0.0"));
  CHECK(in("1.2", "1.2.5"));
  CHECK_FALSE(in("1.2", "1.3"));
  CHECK(in("=1.2.3", "1.2.3"));
  CHECK_FALSE(in("=1.2.3", "1.2.4"));
  CHECK(in(">1.2", "1.3.0"));
  CHECK_FALSE(in(">1.2", "1.2.9"));
  CHECK(in("<=1.2", "1.2.9"));
  CHECK_FALSE(in("<=1.2", "1.3.0"));
  CHECK(in("*", "0.0.1"));
  CHECK(in("^1 || ^3", "3.1"));
  CHECK_FALSE(in("^1 || ^3", "2.1"));
}

TEST_CASE("bad ranges are usage errors that say how to write one", "[semver]") {
  for (const char* text : {"", "||", ">=", "^1 || ", "abc", ">=1.x", "^*", "1.2.3.4"}) {
    auto r = Range::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ecrm::ErrorKind::Usage);
    CHECK(r.error().hint.find(">=1.2 <2") != std::string::npos);
  }
}
