// Thin main: everything lives in the library so the tests can link it.
#include <cstdio>
#include <exception>

#include "app/app.hpp"

int main(int argc, char** argv) {
  try {
    return ecrm::app::run(argc, argv);
  } catch (const std::exception& e) {
    // A bug, not a user error: one line, no stack trace.
    std::fprintf(stderr, "error: internal error in ecr-mirror: %s (please report it)\n", e.what());
    return 1;
  }
}
