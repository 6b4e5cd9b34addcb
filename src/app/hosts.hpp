#pragma once
// The registries of a run, shared by every image in it: one Transport per host and role (its
// connections' tokens cached per scope), the keychains (command line, config registries:, docker
// config, ECR providers), and the AWS side of each destination registry.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/aws_glue.hpp"
#include "auth/keychain.hpp"
#include "cli/options.hpp"
#include "config/config.hpp"
#include "registry/transport.hpp"
#include "util/expected.hpp"

namespace ecrm::app {

http::ClientConfig http_config(const cli::Options& options, const cli::EnvLookup& env,
                               const std::atomic<bool>* cancel);

class Hosts {
 public:
  Hosts(const cli::Options& options, const config::Config* config, const cli::EnvLookup& env,
        const std::atomic<bool>* cancel);

  // Credentials from the command line, the docker config and the config's registries:
  // (username-env / password-env, read and masked here). Usage error for an unset variable.
  Status load_credentials();
  // Before any image starts: AWS sign-in and a first token for each ECR destination host.
  // `create`: the config's defaults.create-repository, over --create-repository.
  Expected<AwsHooks> aws(const name::Repository& destination, const std::string& source_ref,
                         std::optional<bool> create = std::nullopt);

  // A request with what every image of the run shares (the options' force, concurrency, dry run
  // and referrers; the HTTP and retry settings; the destination's AWS hooks): the caller adds
  // the image, its tags and platforms.
  mirror::MirrorRequest mirror_request(const AwsHooks& hooks, const std::string& source_host,
                                       const std::string& destination_host, bool dry_run) const;

  std::shared_ptr<registry::Transport> source(const std::string& host);
  std::shared_ptr<registry::Transport> destination(const std::string& host);
  std::uint64_t request_count();
  const http::ClientConfig& http() const { return http_; }
  const registry::RetryPolicy& retry() const { return retry_; }

 private:
  std::shared_ptr<registry::Transport> transport(const std::string& host, bool destination);
  bool insecure(const std::string& host) const;

  const cli::Options& options_;
  const config::Config* config_;
  cli::EnvLookup env_;
  const std::atomic<bool>* cancel_;
  http::ClientConfig http_;
  registry::RetryPolicy retry_;
  std::shared_ptr<auth::Keychain> source_keychain_ = std::make_shared<auth::Keychain>();
  std::shared_ptr<auth::Keychain> destination_keychain_ = std::make_shared<auth::Keychain>();
  AwsDestinations aws_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<registry::Transport>> transports_;  // "s host" / "d host"
  std::map<std::string, bool> basic_auth_;                                  // ECR hosts
};

}  // namespace ecrm::app
