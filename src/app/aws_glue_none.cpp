// TEMPORARY while src/aws is being written: replaced by aws_glue.cpp.
#include "app/aws_glue.hpp"
namespace ecrm::app {
Expected<AwsHooks> setup_aws(const cli::Options& options, const cli::EnvLookup&,
                             const http::ClientConfig&, auth::Keychain&) {
  if (options.destination_type != "auto" && options.destination_type != "registry")
    return make_error(ErrorKind::Usage, "AWS destinations are not wired yet");
  AwsHooks hooks;
  hooks.before_write = [](const std::vector<oci::Platform>&) { return Status(); };
  return hooks;
}
}  // namespace ecrm::app
