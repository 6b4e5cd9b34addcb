#pragma once
// The AWS side of a run, as the app sees it: registry credentials for ECR destinations and the
// create-repository step just before the first write.
#include <functional>
#include <vector>

#include "auth/keychain.hpp"
#include "cli/options.hpp"
#include "http/client.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::app {

struct AwsHooks {
  std::function<Status(const std::vector<oci::Platform>&)> before_write;
};

Expected<AwsHooks> setup_aws(const cli::Options& options, const cli::EnvLookup& env,
                             const http::ClientConfig& http, auth::Keychain& destination_keychain);

}  // namespace ecrm::app
