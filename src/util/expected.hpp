#pragma once
// Expected-values for recoverable errors (ccache style): functions that can fail in ways a user
// must hear about return Expected<T>; exceptions are reserved for bugs and are caught once in main.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ecrm {

// What kind of failure: decides the exit code (Usage → 2, everything else → 1) and how retry
// layers treat it.
enum class ErrorKind {
  Usage,      // bad input from the user: option values, references, files they named
  Network,    // connection refused/reset, timeout, TLS failure
  Registry,   // the registry answered with an error status
  Auth,       // credentials missing or rejected
  NotFound,   // manifest/blob/repository does not exist (callers often branch on this)
  Integrity,  // digest or size mismatch, malformed or oversized content
  Cancelled,  // SIGTERM/SIGINT
  Internal,   // a bug or an unexpected local failure
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  // what failed and why; never contains a secret
  std::string hint;     // how to fix it; may be empty
  int http_status = 0;  // the HTTP status when the error came from a response
  std::string code;     // the server's error code (OCI: MANIFEST_UNKNOWN; AWS: AccessDenied)
  bool retryable = false;
};

inline Error make_error(ErrorKind kind, std::string message, std::string hint = {}) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  e.hint = std::move(hint);
  return e;
}

inline int exit_code_for(const Error& e) {
  return e.kind == ErrorKind::Usage ? 2 : 1;
}

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }
  Error& error() { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  Error& error() { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Expected<void>;

}  // namespace ecrm

// Propagate an error from an Expected expression: `ECRM_TRY(auto x, f());` is not possible in
// standard C++, so the idiom is `auto x = f(); if (!x) return x.error();`.
