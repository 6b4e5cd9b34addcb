#pragma once
// Where registry credentials come from (go-containerregistry pkg/authn): explicit flags, providers
// (AWS ECR tokens), the docker config's "auths", else anonymous.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace ecrm::auth {

struct Credential {
  std::string username;
  std::string password;
  std::string identity_token;  // docker config "identitytoken": an OAuth2 refresh token
  bool anonymous() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// A source of credentials that may expire (ECR's 12-hour tokens). refresh=true asks for a new one
// after the registry rejected the last.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual Expected<Credential> credential(bool refresh) = 0;
};

class Keychain {
 public:
  // Highest precedence: a fixed credential for this registry host ("host[:port]").
  void add_explicit(const std::string& registry, Credential credential);
  void add_provider(const std::string& registry, std::shared_ptr<CredentialProvider> provider);
  // Reads "auths" of a docker config.json: each entry's "auth" (base64 user:pass), or
  // "username"/"password", or "identitytoken". Keys may be "host", "https://host",
  // "https://host/v1/"; "https://index.docker.io/v1/", "index.docker.io" and "docker.io" all mean
  // registry-1.docker.io. A missing file is fine unless must_exist; an unreadable or malformed one
  // is a Usage error naming the path. Every password/token read is registered as a secret with the
  // log.
  Status load_docker_config(const std::string& path, bool must_exist);

  // Explicit, then provider, then docker config, then anonymous.
  Expected<Credential> resolve(std::string_view registry, bool refresh = false) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Credential> explicit_;
  std::map<std::string, std::shared_ptr<CredentialProvider>> providers_;
  std::map<std::string, Credential> docker_config_;
};

// "https://index.docker.io/v1/" → "registry-1.docker.io"; "https://host:5000/x" → "host:5000".
std::string normalize_registry_key(std::string_view key);

}  // namespace ecrm::auth
