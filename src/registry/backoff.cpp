#include "registry/backoff.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace ecrm::registry {

Backoff::Backoff(const RetryPolicy& policy)
    : policy_(policy), start_(std::chrono::steady_clock::now()) {}

std::optional<std::chrono::milliseconds> Backoff::next(
    std::optional<std::chrono::milliseconds> retry_after) {
  if (attempt_ >= policy_.max_attempts) return std::nullopt;
  // "Full jitter" halved: a delay in [d/2, d] keeps clients apart without collapsing to zero.
  const auto exponent = std::min(attempt_ - 1, 16);
  auto ceiling = std::min<std::int64_t>(policy_.cap.count(), policy_.base.count() << exponent);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> dist(ceiling / 2, std::max<std::int64_t>(ceiling, 1));
  std::chrono::milliseconds delay(dist(rng));
  // A server asking for a wait longer than the budget left gets a clear failure, not a hang.
  if (retry_after && *retry_after > delay) delay = *retry_after;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start_);
  if (elapsed + delay > policy_.budget) return std::nullopt;
  ++attempt_;
  return delay;
}

bool sleep_unless_cancelled(std::chrono::milliseconds duration, const std::atomic<bool>* cancel) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel && cancel->load()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           until - std::chrono::steady_clock::now()) +
                                           std::chrono::milliseconds(1)));
  }
  return !(cancel && cancel->load());
}

}  // namespace ecrm::registry
