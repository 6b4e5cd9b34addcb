#pragma once
// Where the AWS APIs are, and what kind of registry the destination is.
// Endpoint overrides are read as the AWS SDKs read them ("Service-specific endpoints", AWS SDKs and
// Tools Reference Guide): AWS_ENDPOINT_URL_<SERVICE> first, then AWS_ENDPOINT_URL.
#include <string>
#include <string_view>

#include "name/reference.hpp"
#include "util/env.hpp"
#include "util/expected.hpp"

namespace ecrm::aws {

enum class DestinationType { Registry, EcrPublic, Ecr };

// "registry", "ecr-public", "ecr"
std::string to_string(DestinationType type);

struct Destination {
  DestinationType type = DestinationType::Registry;
  std::string region;      // the ECR API's region: us-east-1 for ECR Public
  std::string account_id;  // private ECR: from the host; empty when the host does not say
  bool fips = false;       // <account>.dkr.ecr-fips.<region>.amazonaws.com
  std::string dns_suffix = "amazonaws.com";  // "amazonaws.com.cn" in the China regions
};

// `option` is --destination-type: auto|ecr-public|ecr|registry. With auto, "public.ecr.aws" is ECR
// Public, ^\d{12}\.dkr\.ecr(-fips)?\.<region>\.amazonaws\.com(\.cn)?$ is private ECR (region and
// account taken from the host), anything else a plain registry. An explicit ecr-public or ecr on
// another host (a test registry) uses `default_region`. Unknown option values are Usage errors.
Expected<Destination> detect_destination(std::string_view option,
                                         const name::Repository& destination,
                                         std::string_view default_region);

struct Endpoints {
  std::string sts;         // "https://sts.us-east-1.amazonaws.com", never a trailing slash
  std::string ecr_public;  // "https://api.ecr-public.us-east-1.amazonaws.com"
  std::string ecr;         // "https://api.ecr.<region>.amazonaws.com"
};

// `sts_region` is --aws-region; the ECR endpoints follow the destination. An override that is not
// an http(s) URL is a Usage error naming the variable.
Expected<Endpoints> resolve_endpoints(const util::EnvLookup& env, std::string_view sts_region,
                                      const Destination& destination);

}  // namespace ecrm::aws
