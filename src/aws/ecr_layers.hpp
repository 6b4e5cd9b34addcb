#pragma once
// BatchCheckLayerAvailability (ECR API reference; ECR Public has the same operation): which blobs a
// repository already holds, up to 100 digests a call, instead of one registry HEAD per blob.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ecr.hpp"
#include "util/expected.hpp"
#include "util/json.hpp"

namespace ecrm::aws {

// The API's limit on layerDigests per call.
constexpr std::size_t kMaxLayerDigestsPerCall = 100;

std::string batch_check_layer_availability_body(const EcrApiSettings& settings,
                                                std::string_view name,
                                                const std::vector<std::string>& digests);

// One entry per digest of a reply to a call that asked for `digests`: true AVAILABLE, false
// UNAVAILABLE, nullopt when the reply does not say (failures, or left out).
std::vector<std::optional<bool>> layer_availability_from_reply(
    const util::Json& reply, const std::vector<std::string>& digests);

// One entry per digest, in order: true AVAILABLE, false UNAVAILABLE, nullopt when the reply lists
// it under failures (or not at all). As many calls as 100-digest slices. On an error (AccessDenied
// is an Auth error) the caller asks the registry blob by blob.
Expected<std::vector<std::optional<bool>>> batch_check_layer_availability(
    const EcrApiSettings& settings, const AwsCredentials& credentials, std::string_view name,
    const std::vector<std::string>& digests, CallContext& context);

}  // namespace ecrm::aws
