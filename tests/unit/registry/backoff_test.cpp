#include "registry/backoff.hpp"

#include <catch2/catch.hpp>

using namespace ecrm::registry;
using std::chrono::milliseconds;

TEST_CASE("Backoff grows exponentially with jitter and stops at max_attempts", "[backoff]") {
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.base = milliseconds(100);
  policy.cap = milliseconds(250);
  policy.budget = milliseconds(60'000);
  Backoff backoff(policy);
  auto d1 = backoff.next();
  auto d2 = backoff.next();
  auto d3 = backoff.next();
  REQUIRE(d1);
  REQUIRE(d2);
  REQUIRE(d3);
  CHECK(*d1 >= milliseconds(50));
  CHECK(*d1 <= milliseconds(100));
  CHECK(*d2 >= milliseconds(100));
  CHECK(*d2 <= milliseconds(200));
  CHECK(*d3 <= milliseconds(250));  // capped
  CHECK_FALSE(backoff.next());      // 4 attempts used
}

TEST_CASE("Backoff honours a longer Retry-After and the overall budget", "[backoff]") {
  RetryPolicy policy;
  policy.max_attempts = 10;
  policy.base = milliseconds(10);
  policy.budget = milliseconds(5'000);
  Backoff backoff(policy);
  CHECK(backoff.next(milliseconds(3'000)) == milliseconds(3'000));
  CHECK_FALSE(backoff.next(milliseconds(6'000)));  // would pass the budget
}

TEST_CASE("retryable statuses are 408, 429 and 5xx", "[backoff]") {
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) CHECK(is_retryable_status(s));
  for (long s : {200L, 201L, 400L, 401L, 403L, 404L, 409L}) CHECK_FALSE(is_retryable_status(s));
}

TEST_CASE("sleep_unless_cancelled returns early when cancelled", "[backoff]") {
  std::atomic<bool> cancel{true};
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(sleep_unless_cancelled(milliseconds(5'000), &cancel));
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(1'000));
  cancel = false;
  CHECK(sleep_unless_cancelled(milliseconds(20), &cancel));
}
