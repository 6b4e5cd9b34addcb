#pragma once
// A long-lived helper thread that runs one job at a time. Each copy worker has one to download
// while the worker uploads; keeping the thread (and its http::Client) alive across blobs keeps
// its connection to the source registry alive too.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ecrm::mirror {

class Companion {
 public:
  Companion();
  ~Companion();
  Companion(const Companion&) = delete;
  Companion& operator=(const Companion&) = delete;

  void start(std::function<void()> job);  // the previous job must have been waited for
  void wait();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ecrm::mirror
