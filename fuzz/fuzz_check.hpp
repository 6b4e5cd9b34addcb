#pragma once
// A failed invariant must stop libFuzzer with a stack trace and save the input, in every build
// type: assert() would vanish under NDEBUG, so abort() is called directly.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
