#include "app/signals.hpp"

#include <csignal>

namespace ecrm::app {
namespace {
std::atomic<bool> g_cancelled{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int signal) {
  g_signal = signal;
  g_cancelled.store(true);
}
}  // namespace

const std::atomic<bool>* install_cancel_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A registry closing a connection mid-upload must be an error, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  return &g_cancelled;
}

int cancel_signal() {
  return g_signal;
}

Deadline::Deadline(std::chrono::seconds limit)
    : thread_([this, limit] {
        std::unique_lock lock(mutex_);
        if (!done_.wait_for(lock, limit, [this] { return finished_; })) {
          expired_.store(true);
          g_cancelled.store(true);
        }
      }) {}

Deadline::~Deadline() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  done_.notify_all();
  thread_.join();
}

}  // namespace ecrm::app
