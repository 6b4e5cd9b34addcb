#pragma once
// Answers AWS calls from a script in unit tests: each send() takes the next reply and records the
// request, so tests can check what was sent and in what order. Waits are recorded, not slept.
#include <chrono>
#include <deque>
#include <vector>

#include "aws/retry.hpp"

namespace ecrm::aws::testing {

struct FakeAws {
  std::deque<Expected<http::Response>> replies;
  std::vector<http::Request> requests;
  std::vector<std::chrono::milliseconds> sleeps;
  std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};

  void reply(long status, std::string body, http::Headers headers = {}) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    replies.emplace_back(std::move(response));
  }
  void fail(ErrorKind kind, std::string message, bool retryable) {
    Error error = make_error(kind, std::move(message));
    error.retryable = retryable;
    replies.emplace_back(std::move(error));
  }

  CallContext context() {
    CallContext context;
    context.transport = [this](http::Request& request) -> Expected<http::Response> {
      requests.push_back(request);
      if (replies.empty()) return make_error(ErrorKind::Internal, "fake: no reply scripted");
      auto next = std::move(replies.front());
      replies.pop_front();
      return next;
    };
    context.sleep = [this](std::chrono::milliseconds delay) {
      sleeps.push_back(delay);
      return true;
    };
    context.jitter = [] { return 1.0; };
    context.now = [this] { return now; };
    return context;
  }
};

}  // namespace ecrm::aws::testing
