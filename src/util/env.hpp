#pragma once
// Reading the environment through a function, so that tests can give one of their own.
#include <functional>
#include <optional>
#include <string>

namespace ecrm::util {

// Reads one environment variable; empty values count as unset (the Actions runner passes every
// declared input, empty when the workflow leaves it out).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

}  // namespace ecrm::util
