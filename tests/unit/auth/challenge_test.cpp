#include "auth/challenge.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

using ecrm::auth::Challenge;
using ecrm::auth::parse_www_authenticate;

namespace {

using Params = std::map<std::string, std::string>;

}  // namespace

TEST_CASE("Docker Hub's bearer challenge", "[challenge]") {
  auto challenges = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
      R"(scope="repository:library/alpine:pull")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "bearer");
  CHECK(challenges[0].params == Params{{"realm", "https://auth.docker.io/token"},
                                       {"service", "registry.docker.io"},
                                       {"scope", "repository:library/alpine:pull"}});
  CHECK(challenges[0].param("realm") == "https://auth.docker.io/token");
  CHECK(challenges[0].param("missing").empty());
}

TEST_CASE("Basic challenge with a quoted realm containing a space", "[challenge]") {
  auto challenges = parse_www_authenticate(R"(Basic realm="Registry Realm")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "basic");
  CHECK(challenges[0].params == Params{{"realm", "Registry Realm"}});
}

TEST_CASE("a mount's scope holds two space-separated scopes", "[challenge]") {
  // distribution sends this for POST /blobs/uploads/?mount=...&from=... with token auth.
  auto challenges = parse_www_authenticate(
      R"(Bearer realm="http://127.0.0.1:5001/auth",service="Docker registry",)"
      R"(scope="repository:a:pull repository:b:pull,push",error="insufficient_scope")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("scope") == "repository:a:pull repository:b:pull,push");
  CHECK(challenges[0].param("service") == "Docker registry");
  CHECK(challenges[0].param("error") == "insufficient_scope");
}

TEST_CASE("several challenges in one header value", "[challenge]") {
  auto challenges = parse_www_authenticate(
      R"(Basic realm="simple", Bearer realm="https://a/token",service="svc", Negotiate)");
  REQUIRE(challenges.size() == 3);
  CHECK(challenges[0].scheme == "basic");
  CHECK(challenges[0].params == Params{{"realm", "simple"}});
  CHECK(challenges[1].scheme == "bearer");
  CHECK(challenges[1].params == Params{{"realm", "https://a/token"}, {"service", "svc"}});
  CHECK(challenges[2].scheme == "negotiate");
  CHECK(challenges[2].params.empty());

  auto bare = parse_www_authenticate("Basic, Bearer realm=x");
  REQUIRE(bare.size() == 2);
  CHECK(bare[0].scheme == "basic");
  CHECK(bare[0].params.empty());
  CHECK(bare[1].params == Params{{"realm", "x"}});
}

TEST_CASE("quoted-string backslash escapes are undone", "[challenge]") {
  auto challenges =
      parse_www_authenticate(R"(Basic realm="say \"hi\", then \\ leave",charset="UTF-8")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("realm") == R"(say "hi", then \ leave)");
  CHECK(challenges[0].param("charset") == "UTF-8");
  // A backslash before an ordinary character just yields that character.
  auto plain = parse_www_authenticate(R"(Basic realm="\a\b")");
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].param("realm") == "ab");
}

TEST_CASE("token68 credentials are recognised and do not swallow what follows", "[challenge]") {
  auto challenges = parse_www_authenticate("Negotiate YIIB/w+Yg==, Bearer realm=\"r\"");
  REQUIRE(challenges.size() == 2);
  CHECK(challenges[0].scheme == "negotiate");
  CHECK(challenges[0].params.empty());
  CHECK(challenges[1].scheme == "bearer");
  CHECK(challenges[1].param("realm") == "r");

  auto last = parse_www_authenticate("Basic dXNlcjpwYXNz");
  REQUIRE(last.size() == 1);
  CHECK(last[0].scheme == "basic");
  CHECK(last[0].params.empty());
}

TEST_CASE("whitespace and case are tolerated", "[challenge]") {
  auto challenges = parse_www_authenticate(
      "  \tBEARER   Realm = \"https://r/token\" ,\t SERVICE=svc ,  scope =\"repository:x:pull\"  ");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].scheme == "bearer");
  CHECK(challenges[0].params ==
        Params{{"realm", "https://r/token"}, {"service", "svc"}, {"scope", "repository:x:pull"}});
  // Values keep their case; only scheme and parameter names are lower-cased.
  auto basic = parse_www_authenticate("bAsIc REALM=MyRealm");
  REQUIRE(basic.size() == 1);
  CHECK(basic[0].scheme == "basic");
  CHECK(basic[0].param("realm") == "MyRealm");
}

TEST_CASE("unquoted values may hold URL characters", "[challenge]") {
  auto challenges = parse_www_authenticate("Bearer realm=https://host:8443/v2/token,service=reg");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("realm") == "https://host:8443/v2/token");
  CHECK(challenges[0].param("service") == "reg");
}

TEST_CASE("a repeated parameter keeps its first value", "[challenge]") {
  auto challenges = parse_www_authenticate(R"(Bearer realm="first",realm="second")");
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("realm") == "first");
}

TEST_CASE("malformed headers yield what could be parsed", "[challenge]") {
  CHECK(parse_www_authenticate("").empty());
  CHECK(parse_www_authenticate("   ").empty());
  CHECK(parse_www_authenticate(",,, ,").empty());
  CHECK(parse_www_authenticate("\"").empty());
  CHECK(parse_www_authenticate("\"unterminated").empty());
  CHECK(parse_www_authenticate("=").empty());
  CHECK(parse_www_authenticate("=value").empty());
  CHECK(parse_www_authenticate("= \"quoted value\"").empty());
  // A parameter with no scheme before it belongs to nothing.
  CHECK(parse_www_authenticate("realm=\"x\"").empty());

  auto unterminated = parse_www_authenticate(R"(Bearer realm="https://a/token,service=x)");
  REQUIRE(unterminated.size() == 1);
  CHECK(unterminated[0].param("realm") == "https://a/token,service=x");

  auto lone_quote = parse_www_authenticate("Bearer realm=\"");
  REQUIRE(lone_quote.size() == 1);
  CHECK(lone_quote[0].param("realm").empty());
  CHECK(lone_quote[0].params.count("realm") == 1);

  auto trailing_backslash = parse_www_authenticate("Basic realm=\"abc\\");
  REQUIRE(trailing_backslash.size() == 1);
  CHECK(trailing_backslash[0].param("realm") == "abc");

  auto nameless = parse_www_authenticate("Bearer realm=y, =x, =\"q,q\", service=z");
  REQUIRE(nameless.size() == 1);
  CHECK(nameless[0].params == Params{{"realm", "y"}, {"service", "z"}});
  // BWS allows "name =value", so a scheme followed by " =" reads as a parameter, not a scheme.
  CHECK(parse_www_authenticate("Bearer =x").empty());

  auto empty_value = parse_www_authenticate("Bearer realm=, service=svc");
  REQUIRE(empty_value.size() == 1);
  CHECK(empty_value[0].param("service") == "svc");

  auto junk = parse_www_authenticate("Bearer \x01\x7f realm=\"r\" {}[]");
  REQUIRE_FALSE(junk.empty());
  CHECK(junk[0].scheme == "bearer");
  CHECK(junk[0].param("realm") == "r");
}

TEST_CASE("very long and adversarial inputs end quickly", "[challenge]") {
  const std::size_t size = 1 << 20;
  for (char fill : {'a', '"', '=', ',', '\\', ' ', '{', '\0'}) {
    INFO("fill byte " << static_cast<int>(fill));
    const std::string header(size, fill);
    auto challenges = parse_www_authenticate(header);
    CHECK(challenges.size() <= 1);
  }

  std::string many;
  for (int i = 0; i < 20000; ++i) many += "Basic realm=\"r" + std::to_string(i) + "\", ";
  auto challenges = parse_www_authenticate(many);
  REQUIRE(challenges.size() == 20000);
  CHECK(challenges.back().param("realm") == "r19999");

  std::string long_value = "Bearer realm=\"" + std::string(size, 'x') + "\"";
  auto big = parse_www_authenticate(long_value);
  REQUIRE(big.size() == 1);
  CHECK(big[0].param("realm").size() == size);

  // Deterministic pseudo-random headers over the characters that drive the grammar.
  const std::string alphabet = "Bb ea=r,\"\\\t=x/+";
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string header;
    const int length = static_cast<int>(state % 200);
    for (int i = 0; i < length; ++i) {
      state = state * 1664525u + 1013904223u;
      header += alphabet[(state >> 16) % alphabet.size()];
    }
    state = state * 1664525u + 1013904223u;
    bool schemes_sane = true;
    for (const Challenge& c : parse_www_authenticate(header)) {
      schemes_sane = schemes_sane && !c.scheme.empty() && c.scheme.size() <= header.size();
    }
    INFO("header: " << header);
    CHECK(schemes_sane);
  }
}
