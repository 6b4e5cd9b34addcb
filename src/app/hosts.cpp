#include "app/hosts.hpp"

#include "util/log.hpp"

namespace ecrm::app {

http::ClientConfig http_config(const cli::Options& options, const cli::EnvLookup& env,
                               const std::atomic<bool>* cancel) {
  http::ClientConfig config;
  config.connect_timeout = std::chrono::seconds(options.connect_timeout_seconds);
  config.stall_timeout = std::chrono::seconds(options.stall_timeout_seconds);
  // The OpenSSL convention, honoured explicitly because libcurl's built-in bundle path wins
  // otherwise (a corporate or test CA).
  if (auto ca = env("SSL_CERT_FILE")) config.ca_file = *ca;
  config.user_agent = std::string("ecr-mirror/") + ECRM_VERSION;
  config.cancel = cancel;
  return config;
}

Hosts::Hosts(const cli::Options& options, const config::Config* config, const cli::EnvLookup& env,
             const std::atomic<bool>* cancel)
    : options_(options),
      config_(config),
      env_(env),
      cancel_(cancel),
      http_(http_config(options, env, cancel)),
      aws_(aws_spec(options), env, http_) {
  retry_.budget = std::chrono::seconds(options.retry_seconds);
}

Status Hosts::load_credentials() {
  if (!options_.docker_config.empty()) {
    for (auto* keychain : {source_keychain_.get(), destination_keychain_.get()}) {
      if (auto loaded =
              keychain->load_docker_config(options_.docker_config, options_.docker_config_explicit);
          !loaded)
        return loaded;
    }
  }
  if (!options_.source_username.empty() || !options_.source_password.empty())
    source_keychain_->add_explicit(options_.source.repository.registry,
                                   {options_.source_username, options_.source_password, {}});
  if (!options_.destination_username.empty() || !options_.destination_password.empty())
    destination_keychain_->add_explicit(
        options_.destination.registry,
        {options_.destination_username, options_.destination_password, {}});
  if (!config_) return {};
  for (const auto& r : config_->registries) {
    if (r.username_env.empty()) continue;
    auto username = env_(r.username_env);
    auto password = env_(r.password_env);
    // Masked before anything could print it, even the error below.
    if (password) util::Log::get().add_secret(*password);
    for (const auto& [name, value] :
         {std::pair{r.username_env, username}, {r.password_env, password}}) {
      if (!value)
        return make_error(ErrorKind::Usage,
                          r.where + ": registries." + r.host + " takes its credentials from $" +
                              name + ", which is not set",
                          "set it in the step's env: (e.g. " + name + ": ${{ secrets." + name +
                              " }}), or remove the credentials from the config");
    }
    // A registry can be both a source and a destination: the credentials serve both roles.
    for (auto* keychain : {source_keychain_.get(), destination_keychain_.get()})
      keychain->add_explicit(r.host, {*username, *password, {}});
  }
  return {};
}

Expected<AwsHooks> Hosts::aws(const name::Repository& destination, const std::string& source_ref,
                              std::optional<bool> create) {
  auto hooks = aws_.hooks(destination, source_ref, *destination_keychain_, create);
  if (!hooks) return hooks;
  if (hooks->basic_auth) {
    std::lock_guard lock(mutex_);
    basic_auth_[destination.registry] = true;
    if (auto it = transports_.find("d " + destination.registry); it != transports_.end())
      it->second->assume_basic_auth();
  }
  return hooks;
}

mirror::MirrorRequest Hosts::mirror_request(const AwsHooks& hooks, const std::string& source_host,
                                            const std::string& destination_host,
                                            bool dry_run) const {
  mirror::MirrorRequest request;
  request.dry_run = dry_run;
  request.force = options_.force;
  request.copy.concurrency = options_.concurrency;
  request.copy.dry_run = dry_run;
  request.copy.same_registry = source_host == destination_host;
  request.copy.http = http_;
  request.copy.retry = retry_;
  request.copy.cancel = cancel_;
  request.copy.presence = hooks.presence;
  request.limits = hooks.limits;
  request.referrers = options_.referrers;
  return request;
}

bool Hosts::insecure(const std::string& host) const {
  for (const auto& entry : options_.insecure_registries)
    if (entry == host) return true;
  if (config_)
    if (const auto* r = config_->registry(host)) return r->insecure;
  return false;
}

std::shared_ptr<registry::Transport> Hosts::transport(const std::string& host, bool destination) {
  std::lock_guard lock(mutex_);
  auto& slot = transports_[(destination ? "d " : "s ") + host];
  if (slot) return slot;
  auto keychain = destination ? destination_keychain_ : source_keychain_;
  registry::TransportConfig config{retry_, cancel_, destination ? "destination" : "source"};
  if (config_)
    if (const auto* r = config_->registry(host))
      config.requests_per_second = r->requests_per_second;
  slot = std::make_shared<registry::Transport>(
      host, insecure(host),
      [keychain, host](bool refresh) { return keychain->resolve(host, refresh); }, config);
  if (destination && basic_auth_.count(host)) slot->assume_basic_auth();
  return slot;
}

std::shared_ptr<registry::Transport> Hosts::source(const std::string& host) {
  return transport(host, false);
}
std::shared_ptr<registry::Transport> Hosts::destination(const std::string& host) {
  return transport(host, true);
}

std::uint64_t Hosts::request_count() {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& [key, transport] : transports_) total += transport->request_count();
  return total;
}

}  // namespace ecrm::app
