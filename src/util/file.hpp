#pragma once
// Whole small files in and out: the config, the lock file, plans and reports.
#include <cstddef>
#include <string>

#include "util/expected.hpp"

namespace ecrm::util {

// The file's bytes; a Usage error naming `what` and the path when it cannot be read or is larger
// than max_bytes, with `hint` as the fix.
Expected<std::string> read_file(const std::string& path, const std::string& what,
                                const std::string& hint, std::size_t max_bytes = 64 << 20);

// Replaces the file's contents; a Usage error naming `what` and the path when it cannot.
Status write_file(const std::string& path, const std::string& text, const std::string& what);

}  // namespace ecrm::util
