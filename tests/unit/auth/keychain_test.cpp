#include "auth/keychain.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "util/base64.hpp"
#include "util/log.hpp"

using ecrm::ErrorKind;
using ecrm::auth::Credential;
using ecrm::auth::CredentialProvider;
using ecrm::auth::Keychain;
using ecrm::auth::normalize_registry_key;

namespace {

// A private directory for config files, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ecrm-keychain-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    for (const std::string& file : files_) std::remove(file.c_str());
    ::rmdir(path_.c_str());
  }
  std::string write(const std::string& name, const std::string& contents) {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << contents;
    files_.push_back(file);
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

class FakeProvider : public CredentialProvider {
 public:
  ecrm::Expected<Credential> credential(bool refresh) override {
    ++calls;
    last_refresh = refresh;
    if (fail) return ecrm::make_error(ErrorKind::Auth, "token request failed");
    return Credential{"AWS", refresh ? "token-2-refreshed" : "token-1", ""};
  }
  int calls = 0;
  bool last_refresh = false;
  bool fail = false;
};

Credential resolve_ok(const Keychain& keychain, std::string_view registry, bool refresh = false) {
  auto credential = keychain.resolve(registry, refresh);
  REQUIRE(credential.ok());
  return *credential;
}

std::string auth_field(const std::string& user_and_password) {
  return ecrm::util::base64_encode(user_and_password);
}

bool is_redacted(std::string_view secret) {
  std::string line = "before " + std::string(secret) + " after";
  return ecrm::util::Log::get().redact(line).find(secret) == std::string::npos;
}

}  // namespace

TEST_CASE("normalize_registry_key", "[keychain]") {
  CHECK(normalize_registry_key("https://index.docker.io/v1/") == "registry-1.docker.io");
  CHECK(normalize_registry_key("index.docker.io") == "registry-1.docker.io");
  CHECK(normalize_registry_key("docker.io") == "registry-1.docker.io");
  CHECK(normalize_registry_key("registry-1.docker.io") == "registry-1.docker.io");
  CHECK(normalize_registry_key("https://host:5000/x") == "host:5000");
  CHECK(normalize_registry_key("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000");
  CHECK(normalize_registry_key("HTTPS://Public.ECR.aws") == "public.ecr.aws");
  CHECK(normalize_registry_key(" ghcr.io ") == "ghcr.io");
  CHECK(normalize_registry_key("123456789012.dkr.ecr.us-east-1.amazonaws.com") ==
        "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  CHECK(normalize_registry_key("[::1]:5000") == "[::1]:5000");
}

TEST_CASE("docker config auths: auth, username/password, identitytoken", "[keychain]") {
  TempDir dir;
  const std::string config = dir.write("config.json", R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" + auth_field("hubuser:hub:pass:with:colons") +
                                                          R"("},
      "ghcr.io": {"username": "octo", "password": "ghp_secretvalue123"},
      "https://quay.io/v1/": {"auth": ")" + auth_field("robot:quaypass") +
                                                          R"(",
                              "username": "ignored", "password": "ignored-too"},
      "registry.example.com:5000": {"identitytoken": "refresh-token-xyz"},
      "127.0.0.1:5000": {"auth": ")" + auth_field(std::string("u:p\0\0", 5)) +
                                                          R"("},
      "credstore.example.com": {}
    },
    "credsStore": "desktop",
    "credHelpers": {"123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}
  })");
  Keychain keychain;
  REQUIRE(keychain.load_docker_config(config, true).ok());

  Credential hub = resolve_ok(keychain, "registry-1.docker.io");
  CHECK(hub.username == "hubuser");
  CHECK(hub.password == "hub:pass:with:colons");
  CHECK(resolve_ok(keychain, "docker.io").password == "hub:pass:with:colons");

  Credential ghcr = resolve_ok(keychain, "ghcr.io");
  CHECK(ghcr.username == "octo");
  CHECK(ghcr.password == "ghp_secretvalue123");
  CHECK(ghcr.identity_token.empty());

  Credential quay = resolve_ok(keychain, "quay.io");
  CHECK(quay.username == "robot");  // "auth" wins over the separate fields, as docker/cli does
  CHECK(quay.password == "quaypass");

  Credential token = resolve_ok(keychain, "registry.example.com:5000");
  CHECK(token.identity_token == "refresh-token-xyz");
  CHECK(token.username.empty());
  CHECK_FALSE(token.anonymous());

  CHECK(resolve_ok(keychain, "127.0.0.1:5000").password == "p");  // trailing NULs trimmed

  // Helper-only registries and unknown ones resolve anonymously.
  CHECK(resolve_ok(keychain, "credstore.example.com").anonymous());
  CHECK(resolve_ok(keychain, "123456789012.dkr.ecr.us-east-1.amazonaws.com").anonymous());
  CHECK(resolve_ok(keychain, "unknown.example.org").anonymous());

  CHECK(is_redacted("ghp_secretvalue123"));
  CHECK(is_redacted("hub:pass:with:colons"));
  CHECK(is_redacted("refresh-token-xyz"));
  CHECK(is_redacted(auth_field("robot:quaypass")));
  CHECK_FALSE(is_redacted("octo"));  // user names are not secrets
}

TEST_CASE("a missing docker config is fine unless required", "[keychain]") {
  TempDir dir;
  Keychain keychain;
  const std::string missing = dir.path() + "/nope.json";
  CHECK(keychain.load_docker_config(missing, false).ok());
  auto required = keychain.load_docker_config(missing, true);
  REQUIRE_FALSE(required.ok());
  CHECK(required.error().kind == ErrorKind::Usage);
  CHECK(required.error().message.find(missing) != std::string::npos);

  // A directory is not a readable file.
  auto directory = keychain.load_docker_config(dir.path(), false);
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().kind == ErrorKind::Usage);

  // No "auths" at all (only helpers) is a valid config.
  CHECK(keychain.load_docker_config(dir.write("helpers.json", R"({"credsStore":"pass"})"), true)
            .ok());
}

TEST_CASE("malformed docker configs are Usage errors naming the path, not the secret",
          "[keychain]") {
  TempDir dir;
  struct Case {
    std::string contents;
    std::string expected;
  };
  const Case cases[] = {
      {"{not json", "invalid JSON"},
      {"[]", "not a JSON object"},
      {R"({"auths": []})", "\"auths\" is not an object"},
      {R"({"auths": {"h": "x"}})", "auths[\"h\"] must be an object"},
      {R"({"auths": {"h": {"auth": "%%%notbase64-secret"}}})",
       "auths[\"h\"].auth is not valid base64"},
      {R"({"auths": {"h": {"auth": ")" + auth_field("nocolonsecret") + R"("}}})", "user:password"},
      {R"({"auths": {"h": {"username": 5}}})", "auths[\"h\"].username must be a string"},
      {R"({"auths": {"h": {"password": true}}})", "password must be a string"},
      {R"({"auths": {"h": {"identitytoken": {}}}})", "identitytoken must be a string"},
  };
  int index = 0;
  for (const Case& c : cases) {
    const std::string path = dir.write("bad" + std::to_string(index++) + ".json", c.contents);
    Keychain keychain;
    auto status = keychain.load_docker_config(path, false);
    INFO("contents: " << c.contents);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::Usage);
    CHECK(status.error().message.find(path) != std::string::npos);
    CHECK(status.error().message.find(c.expected) != std::string::npos);
    CHECK(status.error().message.find("secret") == std::string::npos);
    CHECK_FALSE(status.error().hint.empty());
  }
}

TEST_CASE("resolve precedence: explicit, provider, docker config, anonymous", "[keychain]") {
  TempDir dir;
  const std::string config = dir.write("config.json", R"({"auths": {
      "a.example": {"username": "from-config", "password": "pw-config-a"},
      "b.example": {"username": "from-config", "password": "pw-config-b"},
      "c.example": {"username": "from-config", "password": "pw-config-c"}}})");
  Keychain keychain;
  REQUIRE(keychain.load_docker_config(config, true).ok());
  auto provider = std::make_shared<FakeProvider>();
  keychain.add_provider("a.example", provider);
  keychain.add_provider("b.example", provider);
  keychain.add_explicit("https://a.example/v1/", Credential{"flag-user", "pw-explicit", ""});

  CHECK(resolve_ok(keychain, "a.example").username == "flag-user");
  CHECK(provider->calls == 0);
  CHECK(is_redacted("pw-explicit"));

  Credential from_provider = resolve_ok(keychain, "b.example");
  CHECK(from_provider.username == "AWS");
  CHECK(from_provider.password == "token-1");
  CHECK(provider->calls == 1);
  CHECK_FALSE(provider->last_refresh);
  CHECK(resolve_ok(keychain, "B.EXAMPLE", true).password == "token-2-refreshed");
  CHECK(provider->last_refresh);
  CHECK(is_redacted("token-2-refreshed"));

  CHECK(resolve_ok(keychain, "c.example").password == "pw-config-c");
  CHECK(resolve_ok(keychain, "d.example").anonymous());

  provider->fail = true;
  auto failed = keychain.resolve("b.example");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::Auth);
}

TEST_CASE("a later docker config overrides an earlier one per registry", "[keychain]") {
  TempDir dir;
  Keychain keychain;
  REQUIRE(keychain
              .load_docker_config(dir.write("one.json", R"({"auths": {
                  "docker.io": {"username": "first", "password": "p1-first"},
                  "https://index.docker.io/v1/": {"username": "second", "password": "p1-second"},
                  "keep.example": {"username": "kept", "password": "p1-kept"}}})"),
                                  true)
              .ok());
  CHECK(resolve_ok(keychain, "registry-1.docker.io").username == "first");
  REQUIRE(keychain
              .load_docker_config(dir.write("two.json", R"({"auths": {
                  "index.docker.io": {"username": "third", "password": "p2-third"}}})"),
                                  true)
              .ok());
  CHECK(resolve_ok(keychain, "docker.io").username == "third");
  CHECK(resolve_ok(keychain, "keep.example").username == "kept");
}
