// Fuzzes util::Json::parse and dump: every manifest, token reply and ECR API reply goes through
// them, and a filtered index is written back with dump().
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "util/json.hpp"

using namespace ecrm;

namespace {

// Depth as the parser counts it: arrays and objects.
int depth_of(const util::Json& value) {
  int deepest = 0;
  for (const auto& item : value.items()) deepest = std::max(deepest, depth_of(item));
  for (const auto& member : value.members()) deepest = std::max(deepest, depth_of(member.second));
  return deepest + ((value.is_array() || value.is_object()) ? 1 : 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the depth limit so the limit's edge is explored too.
  const int max_depth = data[0] % 80;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto parsed = util::Json::parse(text, max_depth);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().kind == ErrorKind::Integrity);
    return 0;
  }
  FUZZ_CHECK(depth_of(*parsed) <= max_depth);
  for (const auto& member : parsed->members()) {
    // Duplicate names were merged (the last wins), so each name is found at its own position.
    FUZZ_CHECK(parsed->find(member.first) == &member.second);
  }
  (void)parsed->as_int();  // clamps doubles; a cast out of range would be undefined
  // A lone number is compared with glibc's strtod, which rounds correctly: the parser is asked for
  // full precision, so a finite value must come out bit for bit the same.
  if (parsed->type() == util::Json::Type::Double) {
    const std::string copy(text);
    errno = 0;
    char* end = nullptr;
    const double expected = std::strtod(copy.c_str(), &end);
    FUZZ_CHECK(std::isfinite(parsed->as_double()));  // dump() would write null
    if (end == copy.c_str() + copy.size()) {
      // Beyond the range of a double the number must be refused, not turned into another.
      FUZZ_CHECK(!(errno == ERANGE && std::isinf(expected)));
      if (errno == 0) FUZZ_CHECK(parsed->as_double() == expected);
    }
  }
  const std::string dumped = parsed->dump();
  // What we write we can read back, and it is a fixed point.
  const auto reparsed = util::Json::parse(dumped, max_depth);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->dump() == dumped);
  return 0;
}
