#pragma once
// The program as a function: parse options, wire credentials, transports and AWS, run the mirror,
// write outputs. main() only calls this and catches what should never escape.
namespace ecrm::app {

int run(int argc, const char* const* argv);

}  // namespace ecrm::app
