#include <catch2/catch.hpp>
#include <string>

#include "config/config.hpp"

using ecrm::config::parse_config;

namespace {

std::string error_of(const std::string& text) {
  auto parsed = parse_config(text, "m.yml");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().kind == ecrm::ErrorKind::Usage);
  return parsed.error().message;
}

const std::string kDefaults = "defaults:\n  destination: \"r.example/m/{registry}/{repo}\"\n";

}  // namespace

TEST_CASE("a config with every kind of entry", "[config]") {
  auto parsed = parse_config(kDefaults + R"(registries:
  docker.io: {username-env: HUB_USER, password-env: HUB_TOKEN, requests-per-second: 5}
  localhost:5000: {insecure: true}
images:
  - alpine:3.20
  - source: docker.io/library/node
    semver: ">=20"
    latest: 2
  - source: ghcr.io/o/app
    select:
      - tags: [v1]
      - allow: ['v2\..*']
    destination: other.example/app
    destination-tags: ["{tag}"]
    platforms: [linux/amd64]
  - source: localhost:5000/x
    digests: ["sha256:)" + std::string(64, 'a') +
                                 R"("]
)",
                             "m.yml");
  REQUIRE(parsed);
  REQUIRE(parsed->entries.size() == 4);
  CHECK(parsed->entries[0].source.tag == "3.20");
  CHECK_FALSE(parsed->entries[0].by_pattern());
  CHECK(parsed->entries[1].source.tag.empty());  // no implied "latest"
  CHECK(parsed->entries[1].by_pattern());
  CHECK(parsed->entries[2].selections.size() == 2);
  CHECK(parsed->entries[3].digests.size() == 1);
  CHECK(parsed->entries[1].where == "m.yml:8");
  auto hub = parsed->registry("registry-1.docker.io");
  REQUIRE(hub);
  CHECK(hub->password_env == "HUB_TOKEN");
  CHECK(hub->requests_per_second == 5);
  CHECK(parsed->registry("localhost:5000")->insecure);
  auto d = ecrm::config::destination_for(parsed->entries[1], parsed->defaults);
  REQUIRE(d);
  CHECK(d->str() == "r.example/m/docker.io/library/node");
  d = ecrm::config::destination_for(parsed->entries[2], parsed->defaults);
  REQUIRE(d);
  CHECK(d->str() == "other.example/app");
  d = ecrm::config::destination_for(parsed->entries[3], parsed->defaults);
  REQUIRE(d);
  CHECK(d->str() == "r.example/m/localhost-5000/x");  // a port's colon cannot be in a path
}

TEST_CASE("config errors name the file, the line and the key", "[config]") {
  CHECK(error_of(kDefaults + "images:\n  - source: a/b\n    semvr: x\n")
            .find("m.yml:5: images[0].semvr: is not a known key") == 0);
  CHECK(error_of(kDefaults + "images:\n  - source: a/b\n").find("images[0]: selects no tag") !=
        std::string::npos);
  CHECK(error_of(kDefaults + "images:\n  - source: a/b:1\n    tags: [2]\n")
            .find("names a tag or digest and the entry also selects tags") != std::string::npos);
  CHECK(error_of("images:\n  - a/b:1\n").find("defaults.destination is not set") !=
        std::string::npos);
  CHECK(
      error_of(kDefaults + "images:\n  - source: a/b\n    semver: '>=x'\n").find("semver range") !=
      std::string::npos);
  CHECK(error_of(kDefaults + "images:\n  - source: a/b\n    tags: ['no spaces']\n")
            .find("is not a tag") != std::string::npos);
  CHECK(error_of("defaults: {destination: 'r.example/{nope}'}\nimages: [a/b:1]\n")
            .find("unknown placeholder {nope}") != std::string::npos);
  CHECK(error_of("registries:\n  h.example: {username-env: 'not a name', password-env: P}\n"
                 "images: [a/b:1]\n")
            .find("is not an environment variable name") != std::string::npos);
  CHECK(error_of("images: [\n").find("m.yml:") == 0);  // YAML syntax, with its line
  CHECK(error_of("- a\n").find("not a YAML mapping") != std::string::npos);
  CHECK(error_of(kDefaults + "images:\n  - source: a/b\n    destination-tags: ['{nope}']\n")
            .find("images[0].destination-tags") != std::string::npos);
}
