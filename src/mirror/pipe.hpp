#pragma once
// A bounded byte pipe between the thread that downloads a blob and the one that uploads it, so a
// blob streams through a fixed amount of memory whatever its size.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace ecrm::mirror {

class BytePipe {
 public:
  BytePipe(std::size_t capacity, const std::atomic<bool>* cancel);

  // Producer. Blocks while full. False when the consumer gave up or the run was cancelled.
  bool write(const char* data, std::size_t size);
  // Producer is done: ok=true lets the consumer see end-of-stream once drained; ok=false makes
  // the consumer's next read fail. Call exactly once per stream.
  void finish(bool ok);

  // Consumer. Blocks while empty. 0 = end of a good stream; nullopt = the producer failed, the
  // consumer aborted, or the run was cancelled.
  std::optional<std::size_t> read(char* out, std::size_t size);
  // Consumer gives up: pending and later writes return false.
  void abort();

  // Ready for the next stream (after both sides are done).
  void reset();

 private:
  bool cancelled() const { return cancel_ && cancel_->load(); }

  std::vector<char> buffer_;
  std::size_t head_ = 0;  // next byte to read
  std::size_t size_ = 0;  // bytes held
  bool finished_ = false;
  bool ok_ = false;
  bool aborted_ = false;
  const std::atomic<bool>* cancel_;
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace ecrm::mirror
