#include "aws/retry.hpp"

#include <algorithm>
#include <atomic>
#include <random>

#include "registry/backoff.hpp"

namespace ecrm::aws {
namespace {
std::atomic<std::uint64_t> g_api_calls{0};
}  // namespace

std::uint64_t api_calls_sent() {
  return g_api_calls.load();
}

CallContext make_call_context(std::shared_ptr<http::Client> client,
                              const http::ClientConfig& config) {
  CallContext context;
  context.transport = [client](http::Request& request) {
    g_api_calls.fetch_add(1);
    return client->send(request);
  };
  const std::atomic<bool>* cancel = config.cancel;
  context.sleep = [cancel](std::chrono::milliseconds delay) {
    return registry::sleep_unless_cancelled(delay, cancel);
  };
  context.jitter = [] {
    thread_local std::mt19937 generator{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
  };
  context.now = [] { return std::chrono::system_clock::now(); };
  return context;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double jitter) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  // Doubling stops at the cap; 2^20 keeps the shift far from overflow for any sane policy.
  const int exponent = std::clamp(retry - 1, 0, 20);
  const auto ceiling = std::min<std::int64_t>(policy.cap.count(),
                                              policy.base.count() * (std::int64_t{1} << exponent));
  const auto half = ceiling / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(jitter * (ceiling - half)));
}

bool is_retryable_aws_code(std::string_view code) {
  // botocore's retry handler (_retry.json "throttling" and "general_server_error" groups) plus
  // STS's IDPCommunicationError, which says the identity provider could not be reached.
  static constexpr std::string_view kRetryable[] = {"Throttling",
                                                    "ThrottlingException",
                                                    "ThrottledException",
                                                    "RequestThrottledException",
                                                    "TooManyRequestsException",
                                                    "RequestLimitExceeded",
                                                    "RequestThrottled",
                                                    "InternalError",
                                                    "InternalFailure",
                                                    "ServiceUnavailable",
                                                    "ServerException",
                                                    "IDPCommunicationError"};
  return std::find(std::begin(kRetryable), std::end(kRetryable), code) != std::end(kRetryable);
}

bool is_retryable_aws_reply(long status, std::string_view code) {
  return status >= 500 || status == 429 || is_retryable_aws_code(code);
}

}  // namespace ecrm::aws
