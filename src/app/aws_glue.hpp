#pragma once
// The AWS side of a run, as the app sees it: registry credentials for ECR destinations, the
// repository made sure of just before the first write, the batched blob presence check, and what
// ECR refuses (checked before any write). The options are translated into aws::AwsSpec here.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "auth/keychain.hpp"
#include "aws/session.hpp"
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

aws::AwsSpec aws_spec(const cli::Options& options);

// The AWS side of every destination of a run: credentials and a first token once per registry
// host (the first time a job needs it), the hooks per repository. Thread-safe.
class AwsDestinations {
 public:
  AwsDestinations(aws::AwsSpec spec, const cli::EnvLookup& env, http::ClientConfig http)
      : spec_(std::move(spec)), env_(env), http_(std::move(http)) {}
  // `source_ref`: for ECR Public's default catalog description.
  Expected<AwsHooks> hooks(const name::Repository& destination, const std::string& source_ref,
                           auth::Keychain& keychain, std::optional<bool> create = std::nullopt);

 private:
  aws::AwsSpec spec_;
  cli::EnvLookup env_;
  http::ClientConfig http_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const aws::AwsSetup>> setups_;  // by host
};

}  // namespace ecrm::app
