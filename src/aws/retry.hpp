#pragma once
// How the AWS API calls reach the network and how they retry. Every call goes through a Transport
// so that unit tests can answer in place of OIDC, STS and ECR, and through a Sleeper so that the
// backoff can be checked without waiting.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "util/expected.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

using Transport = std::function<Expected<http::Response>(http::Request&)>;
// Waits for the given time; false when the run was cancelled meanwhile.
using Sleeper = std::function<bool(std::chrono::milliseconds)>;
using Clock = std::function<std::chrono::system_clock::time_point()>;

// AWS SDKs' "standard" retry mode: a few attempts with capped exponential backoff and jitter. The
// budget bounds the total wait so a throttled STS cannot hold the job for long.
struct RetryPolicy {
  int max_attempts = 5;  // first try included
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{8'000};
  std::chrono::milliseconds budget{30'000};  // no retry whose wait would pass this total
};

struct CallContext {
  Transport transport;
  Sleeper sleep;
  RetryPolicy retry;
  std::function<double()> jitter;  // uniform in [0, 1]
  Clock now;                       // signing time
};

// Requests sent by production contexts in this process (OIDC, STS, ECR), for the run's report.
std::uint64_t api_calls_sent();

// The production context: requests go through `client` (one per thread: the context must not be
// shared across threads), waits are cut short when `config.cancel` is set.
CallContext make_call_context(std::shared_ptr<http::Client> client,
                              const http::ClientConfig& config);

// The wait before retry number `retry` (1 for the first retry): half of min(cap, base·2^(retry-1))
// plus a jittered share of the other half ("equal jitter"), so a retry never fires at once.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double jitter);

// Calls `attempt` until it succeeds, fails with an error that is not retryable, or the attempts or
// the wait budget are used up; then returns its last result. `what` names the call in log lines.
template <class T>
Expected<T> with_retries(CallContext& context, std::string_view what,
                         const std::function<Expected<T>()>& attempt) {
  std::chrono::milliseconds waited{0};
  for (int number = 1;; ++number) {
    Expected<T> result = attempt();
    if (result.ok() || !result.error().retryable || number >= context.retry.max_attempts)
      return result;
    const double jitter = context.jitter ? context.jitter() : 0.5;
    const auto delay = backoff_delay(context.retry, number, jitter);
    if (waited + delay > context.retry.budget) return result;
    util::Log::get().info(
        "Retrying " + std::string(what) + " in " + util::format_duration(delay.count() / 1000.0) +
        " (attempt " + std::to_string(number + 1) + " of " +
        std::to_string(context.retry.max_attempts) + "): " + result.error().message);
    if (context.sleep && !context.sleep(delay))
      return make_error(ErrorKind::Cancelled, std::string(what) + " was cancelled");
    waited += delay;
  }
}

// AWS answers throttling and its own faults with these; they are worth another try.
bool is_retryable_aws_code(std::string_view code);

// Whether an AWS (or GitHub OIDC) error reply is worth another try. The status decides first, as
// botocore's retry checker does: a 5xx or 429 is a server that could not answer, whatever error
// code its body names.
bool is_retryable_aws_reply(long status, std::string_view code);

}  // namespace ecrm::aws
