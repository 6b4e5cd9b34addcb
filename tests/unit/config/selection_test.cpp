#include "config/selection.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using ecrm::config::natural_less;
using ecrm::config::select_tags;
using ecrm::config::Selection;
using Tags = std::vector<std::string>;

namespace {

const Tags kNode = {"18", "20", "21", "22", "23", "22-alpine", "20-slim", "latest", "lts"};

Tags pick(const Selection& s, const Tags& available = kNode) {
  auto chosen = select_tags({s}, available);
  REQUIRE(chosen);
  return *chosen;
}

}  // namespace

TEST_CASE("semver selects releases newest first", "[selection]") {
  Selection s;
  s.semver = ">=20 <23";
  CHECK(pick(s) == Tags{"22", "21", "20"});
  s.latest = 2;
  CHECK(pick(s) == Tags{"22", "21"});
}

TEST_CASE("allow and deny match the whole tag", "[selection]") {
  Selection s;
  s.allow = {"2[0-9]"};
  CHECK(pick(s) == Tags{"23", "22", "21", "20"});
  s.allow = {"2"};  // anchored: "2" is not a prefix match
  CHECK(pick(s).empty());
  s.allow = {".*-(alpine|slim)"};
  s.deny = {"20-.*"};
  CHECK(pick(s) == Tags{"22-alpine"});
}

TEST_CASE("latest without a range sorts in natural order", "[selection]") {
  Selection s;
  s.allow = {"alpine3\\.[0-9]+"};
  s.latest = 2;
  CHECK(pick(s, {"alpine3.9", "alpine3.20", "alpine3.10", "edge"}) ==
        Tags{"alpine3.20", "alpine3.10"});
  CHECK(natural_less("1.9", "1.10"));
  CHECK_FALSE(natural_less("1.10", "1.9"));
  CHECK(natural_less("a", "b"));
  CHECK(natural_less("v2", "v02a"));
}

TEST_CASE("selections OR together; literal tags first, unlisted or not", "[selection]") {
  Selection literal;
  literal.tags = {"lts", "missing"};
  Selection range;
  range.semver = "^23";
  auto chosen = select_tags({literal, range}, kNode);
  REQUIRE(chosen);
  CHECK(*chosen == Tags{"lts", "missing", "23"});
  Selection again;
  again.tags = {"23"};  // chosen twice, listed once
  chosen = select_tags({range, again}, kNode);
  REQUIRE(chosen);
  CHECK(*chosen == Tags{"23"});
}

TEST_CASE("a regex that does not compile is a usage error", "[selection]") {
  Selection s;
  s.allow = {"(unclosed"};
  auto checked = ecrm::config::check_selection(s);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().kind == ecrm::ErrorKind::Usage);
  CHECK(checked.error().message.find("(unclosed") != std::string::npos);
}
