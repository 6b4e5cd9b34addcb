#include "mirror/companion.hpp"

namespace ecrm::mirror {

Companion::Companion() : thread_([this] { loop(); }) {}

Companion::~Companion() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Companion::start(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  job_ = std::move(job);
  busy_ = true;
  changed_.notify_all();
}

void Companion::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !busy_; });
}

void Companion::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || (busy_ && job_); });
    if (stopping_) return;
    auto job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace ecrm::mirror
