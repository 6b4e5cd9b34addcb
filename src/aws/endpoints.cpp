#include "aws/endpoints.hpp"

#include <cctype>
#include <optional>

#include "http/client.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

constexpr std::string_view kEcrPublicHost = "public.ecr.aws";
// ECR Public's API exists only in us-east-1 (ECR Public API reference, "Endpoints").
constexpr std::string_view kEcrPublicRegion = "us-east-1";

bool all_digits(std::string_view text, std::size_t count) {
  if (text.size() != count) return false;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A region name: lower-case letters, digits and hyphens ("us-east-1", "cn-north-1").
bool is_region(std::string_view text) {
  if (text.empty() || text.front() == '-' || text.back() == '-') return false;
  for (char c : text)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return true;
}

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
std::optional<Destination> parse_private_ecr_host(std::string_view host) {
  const auto labels = util::split(host, '.');
  const bool china = labels.size() == 7 && labels[6] == "cn";
  if (labels.size() != 6 && !china) return std::nullopt;
  if (!all_digits(labels[0], 12) || labels[1] != "dkr") return std::nullopt;
  if (labels[2] != "ecr" && labels[2] != "ecr-fips") return std::nullopt;
  if (!is_region(labels[3]) || labels[4] != "amazonaws" || labels[5] != "com") return std::nullopt;
  Destination destination;
  destination.type = DestinationType::Ecr;
  destination.account_id = labels[0];
  destination.fips = labels[2] == "ecr-fips";
  destination.region = labels[3];
  destination.dns_suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  return destination;
}

std::string dns_suffix_for_region(std::string_view region) {
  return util::starts_with(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

Expected<std::string> endpoint_from_env(const util::EnvLookup& env, const std::string& specific,
                                        std::string fallback) {
  std::string variable = specific;
  auto value = env(specific);
  if (!value) {
    variable = "AWS_ENDPOINT_URL";
    value = env(variable);
  }
  if (!value) return fallback;
  std::string url = util::trim(*value);
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto parts = http::parse_url(url);
  // A path is allowed (a proxy may serve the API under one); a query or fragment is not.
  if (!parts || (parts->scheme != "http" && parts->scheme != "https") ||
      url.find_first_of("?#") != std::string::npos) {
    return make_error(ErrorKind::Usage, variable + " is not an endpoint URL: \"" + *value + "\"",
                      "set it to a scheme and host, e.g. https://sts.us-east-1.amazonaws.com, or "
                      "unset it to use the default endpoint");
  }
  return url;
}

}  // namespace

std::string to_string(DestinationType type) {
  switch (type) {
    case DestinationType::EcrPublic:
      return "ecr-public";
    case DestinationType::Ecr:
      return "ecr";
    case DestinationType::Registry:
      break;
  }
  return "registry";
}

Expected<Destination> detect_destination(std::string_view option,
                                         const name::Repository& destination,
                                         std::string_view default_region) {
  const std::string host = util::to_lower(destination.registry);
  const auto private_ecr = parse_private_ecr_host(host);
  Destination result;
  if (option == "registry") return result;
  if (option == "ecr-public" || (option == "auto" && host == kEcrPublicHost)) {
    result.type = DestinationType::EcrPublic;
    result.region = kEcrPublicRegion;
    return result;
  }
  if (option == "ecr") {
    if (private_ecr) return *private_ecr;
    result.type = DestinationType::Ecr;
    result.region = default_region;
    result.dns_suffix = dns_suffix_for_region(default_region);
    return result;
  }
  if (option == "auto") return private_ecr ? *private_ecr : result;
  return make_error(ErrorKind::Usage,
                    "--destination-type must be auto, ecr-public, ecr or registry, not \"" +
                        std::string(option) + "\"",
                    "leave it at auto to detect the type from the destination's host");
}

Expected<Endpoints> resolve_endpoints(const util::EnvLookup& env, std::string_view sts_region,
                                      const Destination& destination) {
  Endpoints endpoints;
  const std::string sts_default =
      "https://sts." + std::string(sts_region) + "." + dns_suffix_for_region(sts_region);
  auto sts = endpoint_from_env(env, "AWS_ENDPOINT_URL_STS", sts_default);
  if (!sts) return sts.error();
  endpoints.sts = *sts;

  auto ecr_public = endpoint_from_env(
      env, "AWS_ENDPOINT_URL_ECR_PUBLIC",
      "https://api.ecr-public." + std::string(kEcrPublicRegion) + ".amazonaws.com");
  if (!ecr_public) return ecr_public.error();
  endpoints.ecr_public = *ecr_public;

  const std::string region =
      destination.region.empty() ? std::string(sts_region) : destination.region;
  // FIPS endpoints are named ecr-fips.<region>, without the "api." prefix (ECR endpoints table).
  const std::string ecr_default = destination.fips
                                      ? "https://ecr-fips." + region + "." + destination.dns_suffix
                                      : "https://api.ecr." + region + "." + destination.dns_suffix;
  auto ecr = endpoint_from_env(env, "AWS_ENDPOINT_URL_ECR", ecr_default);
  if (!ecr) return ecr.error();
  endpoints.ecr = *ecr;
  return endpoints;
}

}  // namespace ecrm::aws
