#include "app/aws_glue.hpp"

#include "aws/session.hpp"

namespace ecrm::app {

Expected<AwsHooks> setup_aws(const cli::Options& options, const cli::EnvLookup& env,
                             const http::ClientConfig& http, auth::Keychain& destination_keychain) {
  auto setup = aws::setup_destination_auth(options, options.destination, env, http);
  if (!setup) return setup.error();
  AwsHooks hooks;
  if (!setup->provider) {
    hooks.before_write = [](const std::vector<oci::Platform>&) { return Status(); };
    return hooks;
  }
  destination_keychain.add_provider(options.destination.registry, setup->provider);
  auto shared = std::make_shared<aws::AwsSetup>(*setup);
  hooks.before_write = [shared, options, env, http](const std::vector<oci::Platform>& platforms) {
    return aws::ensure_repository(*shared, options, options.destination, platforms,
                                  options.source.str(), env, http);
  };
  return hooks;
}

}  // namespace ecrm::app
