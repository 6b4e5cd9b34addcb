#pragma once
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace ecrm::util {

std::string base64_encode(std::string_view data);  // standard alphabet, padded
// Accepts the standard alphabet with or without padding; rejects anything else.
Expected<std::string> base64_decode(std::string_view text);

}  // namespace ecrm::util
