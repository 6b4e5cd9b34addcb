#pragma once
// ECR lifecycle policies checked here, before any AWS call, against the documented rules (ECR User
// Guide, "Lifecycle policy properties"; quota "Lifecycle policy length": 30,720 characters), so a
// mistake in the file fails the run at once with its place named, not after the repository exists.
#include <string_view>

#include "util/expected.hpp"

namespace ecrm::aws {

constexpr std::size_t kMaxLifecyclePolicyLength = 30720;

// `origin` names the text in messages (the file's path). Usage errors name the rule and the key.
Status validate_lifecycle_policy(std::string_view text, std::string_view origin);

}  // namespace ecrm::aws
