// Cases ported from github.com/distribution/reference reference_test.go and normalize_test.go,
// adapted to our normalisation (Docker Hub is "registry-1.docker.io", default tag "latest",
// only sha256 digests).
#include "name/reference.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using ecrm::ErrorKind;
using ecrm::name::parse_reference;
using ecrm::name::parse_repository;

namespace {

const std::string kHub = "registry-1.docker.io";
const std::string kHex = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const std::string kDigest = "sha256:" + kHex;

struct GoodCase {
  std::string input;
  std::string registry;
  std::string path;
  std::string tag;
  std::string digest;
};

struct BadCase {
  std::string input;
  std::string message_part;  // the error message must say why
};

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("parse_reference accepts and normalises valid references", "[reference]") {
  const std::vector<GoodCase> cases = {
      // reference_test.go TestReferenceParse (single-component names land on Docker Hub).
      {"test_com", kHub, "library/test_com", "latest", ""},
      {"test.com:tag", kHub, "library/test.com", "tag", ""},
      {"test.com:5000", kHub, "library/test.com", "5000", ""},
      {"test.com/repo:tag", "test.com", "repo", "tag", ""},
      {"test:5000/repo", "test:5000", "repo", "latest", ""},
      {"test:5000/repo:tag", "test:5000", "repo", "tag", ""},
      {"test:5000/repo@" + kDigest, "test:5000", "repo", "", kDigest},
      {"test:5000/repo:tag@" + kDigest, "test:5000", "repo", "tag", kDigest},
      {"lowercase:Uppercase", kHub, "library/lowercase", "Uppercase", ""},
      {repeat("a/", 127) + "a:tag-puts-this-over-max", kHub, repeat("a/", 127) + "a",
       "tag-puts-this-over-max", ""},
      {"sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", ""},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
       "some-long-tag", ""},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
       "test.example.com", ""},
      {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", ""},
      {"foo_bar.com:8080", kHub, "library/foo_bar.com", "8080", ""},
      {"foo/foo_bar.com:8080", kHub, "foo/foo_bar.com", "8080", ""},
      {"192.168.1.1", kHub, "library/192.168.1.1", "latest", ""},
      {"192.168.1.1/repo", "192.168.1.1", "repo", "latest", ""},
      {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", ""},
      {"[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", ""},
      {"[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", ""},
      {"[2001:db8::1]:5000/repo:tag@" + kDigest, "[2001:db8::1]:5000", "repo", "tag", kDigest},
      {"[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", ""},
      {"[::1]:5000/repo", "[::1]:5000", "repo", "latest", ""},
      // normalize_test.go: Docker Hub aliases and the "library/" prefix.
      {"docker/docker", kHub, "docker/docker", "latest", ""},
      {"debian", kHub, "library/debian", "latest", ""},
      {"docker.io/debian", kHub, "library/debian", "latest", ""},
      {"docker.io/library/debian", kHub, "library/debian", "latest", ""},
      {"index.docker.io/docker/docker", kHub, "docker/docker", "latest", ""},
      {"registry-1.docker.io/alpine:3.20", kHub, "library/alpine", "3.20", ""},
      {"docker.io/library/foo/bar", kHub, "library/foo/bar", "latest", ""},
      {"127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", "latest", ""},
      {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian",
       "latest", ""},
      {"localhost/app", "localhost", "app", "latest", ""},
      {"localhost:5000/app", "localhost:5000", "app", "latest", ""},
      {"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", kHub,
       "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "latest", ""},
      {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", kHub,
       "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", ""},
      {"docker-rules/docker", kHub, "docker-rules/docker", "latest", ""},
      {"docker---rules/docker", kHub, "docker---rules/docker", "latest", ""},
      {"d/docker", kHub, "d/docker", "latest", ""},
      {"dock__er/docker", kHub, "dock__er/docker", "latest", ""},
      {"test_com/foo", kHub, "test_com/foo", "latest", ""},
      {"test-com:8080/foo", "test-com:8080", "foo", "latest", ""},
      {"busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
       kHub, "library/busybox", "latest",
       "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"},
      // Ours: the registry host may be written in upper case and is lower-cased.
      {"Public.ECR.aws/g0u3p4x2/caylent-solutions/devcontainer-base:noble", "public.ecr.aws",
       "g0u3p4x2/caylent-solutions/devcontainer-base", "noble", ""},
      {"DOCKER.IO/alpine", kHub, "library/alpine", "latest", ""},
      {"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2.3",
       "123456789012.dkr.ecr.us-east-1.amazonaws.com", "team/app", "v1.2.3", ""},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto parsed = parse_reference(c.input);
    REQUIRE(parsed.ok());
    CHECK(parsed->repository.registry == c.registry);
    CHECK(parsed->repository.path == c.path);
    CHECK(parsed->tag == c.tag);
    CHECK(parsed->digest == c.digest);
  }
}

TEST_CASE("parse_reference rejects invalid references with a Usage error", "[reference]") {
  const std::vector<BadCase> cases = {
      {"", "empty"},
      {":justtag", "repository name is missing"},
      {"@" + kDigest, "repository name is missing"},
      {"repo@sha256:ffffffffffffffffffffffffffffffffff", "64 lower-case hex"},
      {"repo@sha256:" + repeat("F", 64), "64 lower-case hex"},
      {"repo@" + kHex, "no algorithm"},
      {"validname@invaliddigest:" + kHex, "only sha256"},
      {"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + kHex + kHex, "only sha256"},
      {"Uppercase:tag", "must be lowercase"},
      {"test:5000/Uppercase/lowercase:tag", "must be lowercase"},
      {"docker/Docker", "must be lowercase"},
      {"docker.io/docker/Docker", "must be lowercase"},
      // distribution treats an upper-case first component as a host; we only accept hosts
      // with '.' or ':' or "localhost", so this is an upper-case path.
      {"Docker/docker", "must be lowercase"},
      {repeat("a/", 128) + "a:tag", "at most 255"},
      {repeat("this_is_not_a_valid_namespace_", 9) + "x/docker", "at most 255"},
      {"aa/asdf$$^/aa", "is not valid"},
      {"[2001:db8::1]", "is not valid"},
      {"[2001:db8::1]:5000", "is not valid"},
      {"[2001:db8::1]:tag", "is not valid"},
      {"[fe80::1%eth0]:5000/repo", "not a valid host"},
      {"[2001:db8:3:4::192.0.2.33]:5000/debian", "not a valid host"},
      {"fc00::1:5000/debian", "not a valid host"},
      {"https://github.com/docker/docker", "URL scheme"},
      {"-docker", "is not valid"},
      {"-docker/docker", "is not valid"},
      {"-docker.io/docker/docker", "not a valid host"},
      {"docker-/docker", "is not valid"},
      {"-docker-/docker", "is not valid"},
      {"docker///docker", "empty component"},
      {"docker.io/docker///docker", "empty component"},
      {"docker/", "empty component"},
      {"____/____", "is not valid"},
      {"_docker/_docker", "is not valid"},
      {"dock..er/docker", "not a valid host"},  // '.' makes it a host
      {"dock_.er/docker", "not a valid host"},  // '.' makes it a host
      {"dock-.er/docker", "not a valid host"},  // '.' makes it a host
      {"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "hexadecimal"},
      {"alpine:-bad", "tag '-bad' is not valid"},
      {"alpine:" + repeat("t", 129), "is not valid"},
      {"alpine:", "tag '' is not valid"},
      {"localhost:99999/app", "not a valid host"},
      {"example.com:/app", "not a valid host"},
      {"example.com/", "missing after the registry"},
      {"alpine latest", "is not valid"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto parsed = parse_reference(c.input);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::Usage);
    CHECK_THAT(parsed.error().message, Catch::Contains(c.message_part));
    CHECK_FALSE(parsed.error().hint.empty());
    // Messages name the offending input so the user can find it among several options.
    if (!c.input.empty() && c.input.size() < 200) {
      CHECK_THAT(parsed.error().message, Catch::Contains(c.input));
    }
  }
}

TEST_CASE("Reference::str and identifier print the normalised form", "[reference]") {
  auto by_tag = parse_reference("alpine");
  REQUIRE(by_tag.ok());
  CHECK(by_tag->str() == "registry-1.docker.io/library/alpine:latest");
  CHECK(by_tag->identifier() == "latest");

  auto by_digest = parse_reference("ghcr.io/o/app@" + kDigest);
  REQUIRE(by_digest.ok());
  CHECK(by_digest->tag.empty());
  CHECK(by_digest->str() == "ghcr.io/o/app@" + kDigest);
  CHECK(by_digest->identifier() == kDigest);

  auto both = parse_reference("ghcr.io/o/app:v1@" + kDigest);
  REQUIRE(both.ok());
  CHECK(both->str() == "ghcr.io/o/app:v1@" + kDigest);
  CHECK(both->identifier() == kDigest);

  // Round trip: printing and re-parsing gives the same value.
  auto again = parse_reference(both->str());
  REQUIRE(again.ok());
  CHECK(*again == *both);
}

TEST_CASE("parse_repository normalises and refuses tags and digests", "[reference]") {
  auto hub = parse_repository("user/app");
  REQUIRE(hub.ok());
  CHECK(hub->registry == "registry-1.docker.io");
  CHECK(hub->path == "user/app");
  CHECK(hub->str() == "registry-1.docker.io/user/app");

  auto ecr = parse_repository("public.ecr.aws/g0u3p4x2/caylent-solutions/devcontainer-base");
  REQUIRE(ecr.ok());
  CHECK(ecr->registry == "public.ecr.aws");
  CHECK(ecr->path == "g0u3p4x2/caylent-solutions/devcontainer-base");

  auto official = parse_repository("docker.io/alpine");
  REQUIRE(official.ok());
  CHECK(official->path == "library/alpine");

  auto tagged = parse_repository("127.0.0.1:5000/app:v1");
  REQUIRE_FALSE(tagged.ok());
  CHECK(tagged.error().kind == ErrorKind::Usage);
  CHECK_THAT(tagged.error().message, Catch::Contains("127.0.0.1:5000/app:v1"));
  CHECK_THAT(tagged.error().hint, Catch::Contains("--tags"));

  auto digested = parse_repository("127.0.0.1:5000/app@" + kDigest);
  REQUIRE_FALSE(digested.ok());
  CHECK(digested.error().kind == ErrorKind::Usage);
  CHECK_THAT(digested.error().message, Catch::Contains("digest"));

  // "host:port" alone reads as name:tag (as in docker); the hint points at the likely intent.
  auto bare_host = parse_repository("localhost:5000");
  REQUIRE_FALSE(bare_host.ok());
  CHECK_THAT(bare_host.error().hint, Catch::Contains("registry"));
  auto plain_tag = parse_repository("alpine:3.20");
  REQUIRE_FALSE(plain_tag.ok());
  CHECK_THAT(plain_tag.error().hint, Catch::Contains("'alpine'") && Catch::Contains("'3.20'"));
  CHECK_THAT(plain_tag.error().hint, !Catch::Contains("registry"));

  auto bad = parse_repository("ghcr.io/Owner/App");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("must be lowercase"));
  CHECK_THAT(bad.error().hint, Catch::Contains("owner/app"));
}
