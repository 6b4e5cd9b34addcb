#pragma once
// Jittered exponential backoff with an overall budget, shared by every layer that retries.
#include <atomic>
#include <chrono>
#include <optional>

namespace ecrm::registry {

struct RetryPolicy {
  int max_attempts = 6;                       // first try included
  std::chrono::milliseconds base{250};        // first delay (before jitter)
  std::chrono::milliseconds cap{20'000};      // no single wait is longer
  std::chrono::milliseconds budget{120'000};  // give up when waiting would pass this
};

class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  // The wait before the next attempt, honouring a server's Retry-After when it is longer; nullopt
  // when attempts or the time budget are used up.
  std::optional<std::chrono::milliseconds> next(
      std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  int attempts() const { return attempt_; }

 private:
  RetryPolicy policy_;
  int attempt_ = 1;
  std::chrono::steady_clock::time_point start_;
};

// Sleeps in short slices so a cancellation is noticed promptly. False when cancelled.
bool sleep_unless_cancelled(std::chrono::milliseconds duration, const std::atomic<bool>* cancel);

// 408, 429 and 5xx are worth another try (distribution spec: errors; RFC 9110 §15.5.9, §15.6).
inline bool is_retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

}  // namespace ecrm::registry
