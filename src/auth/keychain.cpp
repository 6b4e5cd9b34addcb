#include "auth/keychain.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "name/reference.hpp"
#include "util/base64.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::auth {

namespace {

// A docker config is a few KiB; the cap only stops a mistaken path (a device, a huge file).
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

constexpr std::string_view kConfigHint =
    "point docker-config at a Docker config.json ({\"auths\": {\"registry\": {\"auth\": "
    "\"base64 of user:password\"}}}), or fix its permissions";

Error config_error(const std::string& path, const std::string& what) {
  return make_error(ErrorKind::Usage, "docker config " + path + ": " + what,
                    std::string(kConfigHint));
}

enum class ReadResult { Ok, Missing, Failed };

ReadResult read_file(const std::string& path, std::string& contents, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return errno == ENOENT ? ReadResult::Missing : ReadResult::Failed;
  }
  char buffer[16384];
  ReadResult result = ReadResult::Ok;
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::strerror(errno);
      result = ReadResult::Failed;
      break;
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
    if (contents.size() > kMaxConfigBytes) {
      why = "larger than " + std::to_string(kMaxConfigBytes) + " bytes";
      result = ReadResult::Failed;
      break;
    }
  }
  ::close(fd);
  return result;
}

Expected<std::string> string_field(const util::Json& entry, std::string_view field,
                                   const std::string& where) {
  const util::Json* value = entry.find(field);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) {
    return make_error(ErrorKind::Usage, where + "." + std::string(field) + " must be a string");
  }
  return value->as_string();
}

void register_secrets(const Credential& credential) {
  util::Log::get().add_secret(credential.password);
  util::Log::get().add_secret(credential.identity_token);
}

// docker/cli config/configfile: "auth" is base64("user:password") and wins over the separate
// fields; the password is split at the first colon and trailing NULs trimmed as decodeAuth does.
// Messages name the entry, never the value: it is a credential.
Expected<Credential> parse_entry(const util::Json& entry, const std::string& where) {
  if (!entry.is_object()) return make_error(ErrorKind::Usage, where + " must be an object");
  Credential credential;
  auto auth = string_field(entry, "auth", where);
  auto username = string_field(entry, "username", where);
  auto password = string_field(entry, "password", where);
  auto identity_token = string_field(entry, "identitytoken", where);
  for (auto* field : {&auth, &username, &password, &identity_token}) {
    if (!*field) return field->error();
  }
  util::Log::get().add_secret(*auth);
  if (!auth->empty()) {
    auto decoded = util::base64_decode(*auth);
    if (!decoded) return make_error(ErrorKind::Usage, where + ".auth is not valid base64");
    std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return make_error(ErrorKind::Usage, where + ".auth does not decode to user:password");
    }
    credential.username = decoded->substr(0, colon);
    credential.password = decoded->substr(colon + 1);
    while (!credential.password.empty() && credential.password.back() == '\0') {
      credential.password.pop_back();
    }
  } else {
    credential.username = *username;
    credential.password = *password;
  }
  credential.identity_token = *identity_token;
  register_secrets(credential);
  return credential;
}

}  // namespace

std::string normalize_registry_key(std::string_view key) {
  std::string text = util::trim(key);
  std::string lowered = util::to_lower(text);
  for (std::string_view scheme : {"https://", "http://"}) {
    if (util::starts_with(lowered, scheme)) {
      text.erase(0, scheme.size());
      break;
    }
  }
  text = text.substr(0, text.find('/'));
  // Host names are case-insensitive; references store them lower-case (name/reference.hpp).
  text = util::to_lower(text);
  if (text == "index.docker.io" || text == "docker.io")
    return std::string(name::kDockerHubRegistry);
  return text;
}

void Keychain::add_explicit(const std::string& registry, Credential credential) {
  register_secrets(credential);
  std::lock_guard lock(mutex_);
  explicit_[normalize_registry_key(registry)] = std::move(credential);
}

void Keychain::add_provider(const std::string& registry,
                            std::shared_ptr<CredentialProvider> provider) {
  std::lock_guard lock(mutex_);
  providers_[normalize_registry_key(registry)] = std::move(provider);
}

Status Keychain::load_docker_config(const std::string& path, bool must_exist) {
  std::string contents;
  std::string why;
  switch (read_file(path, contents, why)) {
    case ReadResult::Ok:
      break;
    case ReadResult::Missing:
      if (!must_exist) return {};
      return config_error(path, "does not exist");
    case ReadResult::Failed:
      return config_error(path, "cannot be read: " + why);
  }
  auto root = util::Json::parse(contents);
  if (!root) return config_error(path, root.error().message);
  if (!root->is_object()) return config_error(path, "is not a JSON object");

  // "credsStore"/"credHelpers" name external programs (docker-credential-*); a container action
  // cannot run them, so registries only they know about are treated as anonymous.
  const util::Json* auths = root->find("auths");
  if (auths == nullptr || auths->is_null()) return {};
  if (!auths->is_object()) return config_error(path, "\"auths\" is not an object");

  std::map<std::string, Credential> loaded;
  for (const auto& [key, entry] : auths->members()) {
    auto credential = parse_entry(entry, "auths[\"" + key + "\"]");
    if (!credential) return config_error(path, credential.error().message);
    // `docker login` with a credsStore leaves an empty entry behind: it holds nothing to use.
    if (credential->anonymous()) continue;
    // Several spellings can name one registry ("docker.io", "https://index.docker.io/v1/"):
    // the first in the file wins, so the result does not depend on map order.
    loaded.emplace(normalize_registry_key(key), std::move(*credential));
  }
  std::lock_guard lock(mutex_);
  for (auto& [registry, credential] : loaded) docker_config_[registry] = std::move(credential);
  return {};
}

Expected<Credential> Keychain::resolve(std::string_view registry, bool refresh) const {
  const std::string key = normalize_registry_key(registry);
  std::shared_ptr<CredentialProvider> provider;
  {
    std::lock_guard lock(mutex_);
    if (auto it = explicit_.find(key); it != explicit_.end()) return it->second;
    if (auto it = providers_.find(key); it != providers_.end()) {
      provider = it->second;
    } else if (auto found = docker_config_.find(key); found != docker_config_.end()) {
      return found->second;
    } else {
      return Credential{};
    }
  }
  // Called without the lock: a provider may make a network call (ECR GetAuthorizationToken) and
  // other registries' lookups should not wait for it.
  auto credential = provider->credential(refresh);
  if (credential) register_secrets(*credential);
  return credential;
}

}  // namespace ecrm::auth
