// The yes/no grammar predicates (name/grammar.cpp); cases from github.com/distribution/reference
// regexp_test.go where it has them.
#include <catch2/catch.hpp>
#include <string>

#include "name/reference.hpp"

using ecrm::name::is_valid_digest;
using ecrm::name::is_valid_path_component;
using ecrm::name::is_valid_registry_host;
using ecrm::name::is_valid_tag;

namespace {

const std::string kHex = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kDigest = "sha256:" + kHex;

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("is_valid_path_component allows single separators between alphanumeric runs",
          "[reference]") {
  for (const char* good : {"a", "0", "docker", "dock.er", "dock_er", "dock__er", "dock-er",
                           "dock---er", "a.b_c__d-e", "a1b2"}) {
    INFO(good);
    CHECK(is_valid_path_component(good));
  }
  for (const char* bad :
       {"", "Docker", ".docker", "docker.", "dock..er", "dock___er", "dock_.er", "docker-",
        "-docker", "_docker", "dock er", "dock/er", "dock:er", "dock\xc3\xa9r"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_path_component(bad));
  }
}

TEST_CASE("is_valid_digest accepts only sha256 with 64 lower-case hex", "[reference]") {
  CHECK(is_valid_digest(kDigest));
  CHECK(is_valid_digest("sha256:3dcb059253b2ebb44de3936620e1cff3dadcd2c1c982d579081ca8128c1eb319"));
  CHECK_FALSE(is_valid_digest(""));
  CHECK_FALSE(is_valid_digest("sha256:"));
  CHECK_FALSE(is_valid_digest(kHex));
  CHECK_FALSE(is_valid_digest("sha256:" + kHex.substr(1)));
  CHECK_FALSE(is_valid_digest(kDigest + "f"));
  CHECK_FALSE(is_valid_digest("sha256:" + repeat("A", 64)));
  CHECK_FALSE(is_valid_digest("sha256:" + repeat("g", 64)));
  CHECK_FALSE(is_valid_digest("sha512:" + kHex + kHex));
  CHECK_FALSE(is_valid_digest("SHA256:" + kHex));
}

TEST_CASE("is_valid_tag follows [\\w][\\w.-]{0,127}", "[reference]") {
  CHECK(is_valid_tag("latest"));
  CHECK(is_valid_tag("noble-3dcb059253b2"));
  CHECK(is_valid_tag("_private"));
  CHECK(is_valid_tag("V1.2.3_rc-1"));
  CHECK(is_valid_tag(repeat("a", 128)));
  CHECK_FALSE(is_valid_tag(repeat("a", 129)));
  CHECK_FALSE(is_valid_tag(""));
  CHECK_FALSE(is_valid_tag(".hidden"));
  CHECK_FALSE(is_valid_tag("-dash"));
  CHECK_FALSE(is_valid_tag("a/b"));
  CHECK_FALSE(is_valid_tag("a:b"));
  CHECK_FALSE(is_valid_tag("a b"));
  CHECK_FALSE(is_valid_tag("caf\xc3\xa9"));
}

TEST_CASE("is_valid_registry_host accepts domains, IPv4, [IPv6] and ports", "[reference]") {
  for (const char* good :
       {"localhost", "localhost:5000", "public.ecr.aws", "Public.ECR.aws", "127.0.0.1:5000",
        "[::1]", "[::1]:5000", "xn--n3h.com:18080", "a", "test-com:8080"}) {
    INFO(good);
    CHECK(is_valid_registry_host(good));
  }
  for (const char* bad :
       {"", ":5000", "host:", "host:port", "host:0", "host:65536", "-host", "host-", "a..b", ".a",
        "a.", "[::1", "[]", "[fe80::1%eth0]", "[::1]5000", "ho_st", "host/path", "https://host"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_registry_host(bad));
  }
}
