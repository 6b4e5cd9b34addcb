// Fuzzes the semver ranges and versions of a config's `semver:` selections (config/semver.hpp):
// tags come from a registry, ranges from the user. Input layout: range, newline, tags one a line.
// Invariants: parsing never throws or crashes; a pre-release never matches; the order is strict.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/semver.hpp"
#include "fuzz_check.hpp"

using namespace ecrm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const auto range = config::Range::parse(take_line(rest));
  int lines = 0;
  while (!rest.empty() && ++lines < 64) {
    const auto tag = take_line(rest);
    const auto version = config::parse_version(tag);
    if (!version) continue;
    FUZZ_CHECK(version->major >= 0 && version->minor >= 0 && version->patch >= 0);
    FUZZ_CHECK(!config::version_less(*version, *version));
    if (range && !version->prerelease.empty()) FUZZ_CHECK(!range->matches(*version));
    if (range) (void)range->matches(*version);
  }
  return 0;
}
