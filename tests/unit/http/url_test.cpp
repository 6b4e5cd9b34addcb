#include <catch2/catch.hpp>

#include "http/client.hpp"

using namespace ecrm::http;

TEST_CASE("resolve_url follows RFC 3986 section 5.2", "[url]") {
  const std::string base = "https://reg.example:5000/v2/app/blobs/uploads/?x=1";
  struct Case {
    const char* location;
    const char* expected;
  };
  const Case cases[] = {
      {"https://other.example/u/1", "https://other.example/u/1"},
      {"//cdn.example/blob", "https://cdn.example/blob"},
      {"/v2/app/blobs/uploads/abc?_state=z",
       "https://reg.example:5000/v2/app/blobs/uploads/abc?_state=z"},
      {"abc?_state=z", "https://reg.example:5000/v2/app/blobs/uploads/abc?_state=z"},
      {"../manifests/x", "https://reg.example:5000/v2/app/blobs/manifests/x"},
      {"/a/./b/../c", "https://reg.example:5000/a/c"},
      {"?y=2", "https://reg.example:5000/v2/app/blobs/uploads/?y=2"},
  };
  for (const auto& c : cases) {
    INFO(c.location);
    CHECK(resolve_url(base, c.location) == c.expected);
  }
}

TEST_CASE("parse_url splits scheme, host and path and refuses userinfo", "[url]") {
  auto parts = parse_url("HTTPS://Reg.Example:443/v2/?q=1#frag");
  REQUIRE(parts);
  CHECK(parts->scheme == "https");
  CHECK(parts->host == "reg.example:443");
  CHECK(parts->path_and_query == "/v2/?q=1");
  CHECK(parse_url("https://host")->path_and_query == "/");
  CHECK_FALSE(parse_url("https://user:pw@host/x"));
  CHECK_FALSE(parse_url("no-scheme/x"));
  CHECK_FALSE(parse_url("https:///path"));
}

TEST_CASE("same_origin compares scheme and host:port", "[url]") {
  CHECK(same_origin("https://a.example/v2/x", "https://A.example/other"));
  CHECK_FALSE(same_origin("https://a.example/", "http://a.example/"));
  CHECK_FALSE(same_origin("https://a.example/", "https://a.example:8443/"));
  CHECK_FALSE(same_origin("https://a.example/", "https://b.example/"));
  CHECK_FALSE(same_origin("https://a.example/", "garbage"));
}

TEST_CASE("parse_retry_after reads seconds and HTTP dates", "[url]") {
  CHECK(parse_retry_after("7") == std::chrono::milliseconds(7000));
  CHECK(parse_retry_after(" 0 ") == std::chrono::milliseconds(0));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT") == std::chrono::milliseconds(0));
  auto future = parse_retry_after("Fri, 31 Dec 2100 23:59:59 GMT");
  REQUIRE(future);
  CHECK(*future > std::chrono::hours(24 * 365));
  CHECK_FALSE(parse_retry_after(""));
  CHECK_FALSE(parse_retry_after("-5"));
  CHECK_FALSE(parse_retry_after("soon"));
}

TEST_CASE("Headers are case-insensitive and keep repeats", "[url]") {
  Headers h;
  h.add("WWW-Authenticate", "Basic realm=a");
  h.add("www-authenticate", "Bearer realm=b");
  h.add("Content-Type", "x");
  CHECK(h.get("Www-Authenticate") == "Basic realm=a");
  CHECK(h.get_all("WWW-AUTHENTICATE").size() == 2);
  h.set("content-type", "y");
  CHECK(h.get("Content-Type") == "y");
  CHECK(h.get_all("content-type").size() == 1);
  h.remove("WWW-Authenticate");
  CHECK_FALSE(h.get("www-authenticate"));
}

TEST_CASE("next_link finds rel=next in a Link header (RFC 8288)", "[url]") {
  CHECK(next_link("</v2/app/tags/list?n=2&last=b>; rel=\"next\"") ==
        std::optional<std::string>("/v2/app/tags/list?n=2&last=b"));
  CHECK(next_link("</p>; rel=next") == std::optional<std::string>("/p"));
  CHECK(next_link("</a>; rel=\"prev\", </b>; rel=\"next\"") == std::optional<std::string>("/b"));
  CHECK(next_link("</a>; rel=\"prev next\"") == std::optional<std::string>("/a"));
  CHECK(next_link("</a>; REL = \"Next\"") == std::optional<std::string>("/a"));
  CHECK_FALSE(next_link("</a>; rel=\"prev\"").has_value());
  CHECK_FALSE(next_link("</a>; relation=\"next\"").has_value());
  CHECK_FALSE(next_link("").has_value());
  CHECK_FALSE(next_link("<unterminated; rel=next").has_value());
}
