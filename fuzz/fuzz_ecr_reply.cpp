// Fuzzes what ecr-mirror reads from ECR's repository and layer APIs and from a lifecycle-policy
// file: DescribeRepositories replies (aws::repository_info_from_reply), BatchCheckLayerAvailability
// replies (aws::layer_availability_from_reply), the tag-mutability decision on what they said
// (aws::immutable_among, wildcard_match), and aws::validate_lifecycle_policy. Input layout: byte 1
// picks ECR or ECR Public; the rest is the body, also used as a lifecycle policy and as a pattern.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ecr_layers.hpp"
#include "aws/ecr_repository.hpp"
#include "aws/lifecycle.hpp"
#include "fuzz_check.hpp"
#include "util/json.hpp"

using namespace ecrm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool is_public = (data[0] & 1) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto status = aws::validate_lifecycle_policy(body, "fuzz.json");
  if (!status) FUZZ_CHECK(status.error().kind == ErrorKind::Usage);
  if (status) FUZZ_CHECK(body.size() <= aws::kMaxLifecyclePolicyLength);

  auto json = util::Json::parse(body, 16);
  if (!json) return 0;
  const std::vector<std::string> digests = {"sha256:a", "sha256:b",
                                            "sha256:" + std::string(64, 'c')};
  const auto answer = aws::layer_availability_from_reply(*json, digests);
  FUZZ_CHECK(answer.size() == digests.size());

  const auto info = aws::repository_info_from_reply(*json, "team/app", is_public);
  if (info) {
    if (is_public) FUZZ_CHECK(info->tag_mutability == "MUTABLE");
    const std::vector<std::string> tags = {"noble", "noble-3dcb059253b2",
                                           std::string(body.substr(0, 128))};
    const auto kept = aws::immutable_among(*info, tags);
    FUZZ_CHECK(kept.size() <= tags.size());
    if (info->tag_mutability == "MUTABLE") FUZZ_CHECK(kept.empty());
    if (info->tag_mutability == "IMMUTABLE") FUZZ_CHECK(kept.size() == tags.size());
  }
  // A pattern matches itself once its wildcards are taken as any run (here: themselves).
  const std::string pattern(body.substr(0, 256));
  FUZZ_CHECK(aws::wildcard_match(pattern, pattern));
  FUZZ_CHECK(aws::wildcard_match("*", pattern));
  return 0;
}
