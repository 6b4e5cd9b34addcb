#pragma once
// Shared by the fuzz targets. A failed invariant must stop libFuzzer with a stack trace and save
// the input, in every build type: assert() would vanish under NDEBUG, so abort() is called
// directly.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

// Inputs that carry several fields put one per line: the next line of `rest` (without its
// newline), and `rest` moves past it.
inline std::string_view take_line(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}
