#pragma once
// SIGTERM/SIGINT (how the Actions runner cancels a job) and the --timeout deadline set one flag
// that every wait and transfer polls; nothing is written after it is set, so no tag moves.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ecrm::app {

const std::atomic<bool>* install_cancel_handlers();
int cancel_signal();  // the signal that cancelled the run, 0 if none

// Trips the cancel flag when the run outlives `limit`; stops quietly when destroyed first.
class Deadline {
 public:
  explicit Deadline(std::chrono::seconds limit);
  ~Deadline();
  bool expired() const { return expired_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::atomic<bool> expired_{false};
  std::thread thread_;
};

}  // namespace ecrm::app
