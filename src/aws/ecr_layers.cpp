#include "aws/ecr_layers.hpp"

#include <algorithm>
#include <map>

#include "util/json.hpp"

namespace ecrm::aws {

std::string batch_check_layer_availability_body(const EcrApiSettings& settings,
                                                std::string_view name,
                                                const std::vector<std::string>& digests) {
  util::Json body = util::Json::object();
  if (settings.type == DestinationType::Ecr && !settings.registry_id.empty())
    body.set("registryId", settings.registry_id);
  body.set("repositoryName", std::string(name));
  util::Json list = util::Json::array();
  for (const auto& digest : digests) list.push(digest);
  body.set("layerDigests", std::move(list));
  return body.dump();
}

std::vector<std::optional<bool>> layer_availability_from_reply(
    const util::Json& reply, const std::vector<std::string>& digests) {
  std::map<std::string, bool> available;
  if (const auto* layers = reply.find("layers"); layers != nullptr && layers->is_array()) {
    for (const auto& layer : layers->items()) {
      auto digest = layer.get_string("layerDigest");
      auto state = layer.get_string("layerAvailability");
      if (digest && state) available[*digest] = *state == "AVAILABLE";
    }
  }
  std::vector<std::optional<bool>> answer(digests.size());
  for (std::size_t i = 0; i < digests.size(); ++i) {
    auto found = available.find(digests[i]);
    if (found != available.end()) answer[i] = found->second;
  }
  return answer;
}

Expected<std::vector<std::optional<bool>>> batch_check_layer_availability(
    const EcrApiSettings& settings, const AwsCredentials& credentials, std::string_view name,
    const std::vector<std::string>& digests, CallContext& context) {
  std::vector<std::optional<bool>> answer(digests.size());
  for (std::size_t first = 0; first < digests.size(); first += kMaxLayerDigestsPerCall) {
    const std::size_t last = std::min(digests.size(), first + kMaxLayerDigestsPerCall);
    std::vector<std::string> slice(digests.begin() + static_cast<std::ptrdiff_t>(first),
                                   digests.begin() + static_cast<std::ptrdiff_t>(last));
    auto reply = ecr_call(settings, credentials, "BatchCheckLayerAvailability",
                          batch_check_layer_availability_body(settings, name, slice), context);
    if (!reply) return reply.error();
    auto part = layer_availability_from_reply(*reply, slice);
    std::copy(part.begin(), part.end(), answer.begin() + static_cast<std::ptrdiff_t>(first));
  }
  return answer;
}

}  // namespace ecrm::aws
