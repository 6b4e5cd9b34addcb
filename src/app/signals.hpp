#pragma once
// SIGTERM/SIGINT (how the Actions runner cancels a job) set a flag that every wait and transfer
// polls; nothing is written after it is set, so no tag moves.
#include <atomic>

namespace ecrm::app {

const std::atomic<bool>* install_cancel_handlers();
int cancel_signal();  // the signal that cancelled the run, 0 if none

}  // namespace ecrm::app
