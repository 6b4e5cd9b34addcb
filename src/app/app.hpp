#pragma once
// The program as a function: parse options, wire credentials, transports and AWS, run the mirror,
// write outputs. main() only calls this and catches what should never escape.
#include "util/expected.hpp"

namespace ecrm::app {

int run(int argc, const char* const* argv);

// Prints the error (with its fix) as ::error:: under Actions; returns the exit code for it.
int fail_run(const Error& error);

}  // namespace ecrm::app
