#pragma once
// The AWS side of a run, as the app sees it: registry credentials for ECR destinations, the
// repository made sure of just before the first write, the batched blob presence check, and what
// ECR refuses (checked before any write). The options are translated into aws::AwsSpec here.
#include <functional>
#include <vector>

#include "auth/keychain.hpp"
#include "cli/options.hpp"
#include "http/client.hpp"
#include "mirror/mirror.hpp"
#include "util/expected.hpp"

namespace ecrm::app {

struct AwsHooks {
  mirror::BeforeWrite before_write;
  mirror::BatchPresence presence;  // empty for a plain registry
  mirror::DestinationLimits limits;
  // Private ECR takes Basic AWS:<token> on every request (ECR User Guide, "Private registry
  // authentication": the HTTP API example sends "Authorization: Basic <token>"): no 401 round
  // trip to learn the scheme.
  bool basic_auth = false;
};

Expected<AwsHooks> setup_aws(const cli::Options& options, const cli::EnvLookup& env,
                             const http::ClientConfig& http, auth::Keychain& destination_keychain);

}  // namespace ecrm::app
