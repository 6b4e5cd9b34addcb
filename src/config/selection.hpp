#pragma once
// Which tags of a source repository an image entry chooses (config::Selection), applied to the
// repository's tag list. Pure: the listing is the caller's.
#include <string>
#include <vector>

#include "config/config.hpp"
#include "util/expected.hpp"

namespace ecrm::config {

// Checks each regex and range (called while the file is read, so a typo fails before any request).
Status check_selection(const Selection& selection);

// The union of the selections over `available`, literal tags first (in the order written, whether
// listed or not: a missing one fails when it is resolved), then the chosen ones newest first:
// by version where the selection has a semver range or every candidate is a version, else by
// natural order (digit runs compared as numbers).
Expected<std::vector<std::string>> select_tags(const std::vector<Selection>& selections,
                                               const std::vector<std::string>& available);

// a < b in natural order: "1.9" < "1.10", "alpine3.9" < "alpine3.20".
bool natural_less(const std::string& a, const std::string& b);

}  // namespace ecrm::config
