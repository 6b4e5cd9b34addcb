#include "mirror/pipe.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace ecrm::mirror {
namespace {
// Waits wake up this often to notice a cancellation (signals cannot notify a condition variable).
constexpr auto kCancelPoll = std::chrono::milliseconds(100);
}  // namespace

BytePipe::BytePipe(std::size_t capacity, const std::atomic<bool>* cancel)
    : buffer_(capacity), cancel_(cancel) {}

bool BytePipe::write(const char* data, std::size_t size) {
  std::unique_lock lock(mutex_);
  while (size > 0) {
    changed_.wait_for(lock, kCancelPoll,
                      [&] { return aborted_ || size_ < buffer_.size() || cancelled(); });
    if (aborted_ || cancelled()) return false;
    if (size_ == buffer_.size()) continue;
    const std::size_t tail = (head_ + size_) % buffer_.size();
    const std::size_t contiguous = tail >= head_ ? buffer_.size() - tail : head_ - tail;
    const std::size_t n = std::min({size, contiguous, buffer_.size() - size_});
    std::memcpy(buffer_.data() + tail, data, n);
    size_ += n;
    data += n;
    size -= n;
    changed_.notify_all();
  }
  return true;
}

void BytePipe::finish(bool ok) {
  std::lock_guard lock(mutex_);
  finished_ = true;
  ok_ = ok;
  changed_.notify_all();
}

std::optional<std::size_t> BytePipe::read(char* out, std::size_t size) {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait_for(lock, kCancelPoll,
                      [&] { return aborted_ || size_ > 0 || finished_ || cancelled(); });
    if (aborted_ || cancelled()) return std::nullopt;
    if (size_ > 0) break;
    if (finished_) return ok_ ? std::optional<std::size_t>(0) : std::nullopt;
  }
  const std::size_t contiguous = std::min(size_, buffer_.size() - head_);
  const std::size_t n = std::min(size, contiguous);
  std::memcpy(out, buffer_.data() + head_, n);
  head_ = (head_ + n) % buffer_.size();
  size_ -= n;
  changed_.notify_all();
  return n;
}

void BytePipe::abort() {
  std::lock_guard lock(mutex_);
  aborted_ = true;
  changed_.notify_all();
}

void BytePipe::reset() {
  std::lock_guard lock(mutex_);
  head_ = size_ = 0;
  finished_ = ok_ = aborted_ = false;
}

}  // namespace ecrm::mirror
