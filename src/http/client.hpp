#pragma once
// One HTTP/1.1 exchange at a time on a reused connection. libcurl is used only by
// client.cpp. Redirects are never followed here: the registry layer follows them itself so that
// credentials are dropped when the host changes.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::http {

// Case-insensitive lookup, order kept, repeats allowed.
class Headers {
 public:
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);  // replaces all of that name
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;  // first
  std::vector<std::string> get_all(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;  // sent when body_reader is not set
  // Streaming upload: fill up to `size` bytes into `buffer`, return the count, 0 at the end, or
  // std::nullopt to abort (the exchange then fails with the error the reader recorded).
  std::function<std::optional<std::size_t>(char* buffer, std::size_t size)> body_reader;
  std::optional<std::uint64_t> body_size;  // Content-Length for body_reader; unset → chunked
  // Streaming download: called with each piece of the body of a 2xx response; return false to
  // abort. When unset the body is collected in Response::body (bounded by max_body).
  std::function<bool(const char* data, std::size_t size)> body_sink;
  std::size_t max_body = 4 * 1024 * 1024 + 1;  // a collected body beyond this fails (Integrity)
  bool head = false;                           // method HEAD: no body expected
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;  // empty when streamed to body_sink
  std::string url;   // the URL that answered
};

struct ClientConfig {
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds stall_timeout{60};  // abort when fewer than 1 byte/s flow for this long
  std::string ca_file;                     // extra CA bundle (tests); "" = system store
  std::string user_agent = "ecr-mirror";
  const std::atomic<bool>* cancel = nullptr;  // when set and true, transfers abort promptly
};

// Not thread-safe: one Client per thread. Clients created from one ClientPool share DNS, TLS
// sessions and connections' cache through a curl share handle.
class Client {
 public:
  explicit Client(const ClientConfig& config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Transport failures (DNS, refused, reset, timeout, TLS) → ErrorKind::Network, retryable; a
  // cancelled transfer → ErrorKind::Cancelled. Any HTTP status, 4xx/5xx included, is a Response.
  // Only http:// and https:// URLs are accepted.
  Expected<Response> send(Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resolves a Location header against the URL it came from (RFC 3986 §5.2): absolute URLs,
// scheme-relative ("//host/p"), absolute paths ("/v2/…") and relative paths.
std::string resolve_url(std::string_view base, std::string_view location);
// "https://Host:443/p?q" → scheme "https", host "host:443" (lower-case, port kept as written).
struct UrlParts {
  std::string scheme;
  std::string host;  // host[:port], lower-case
  std::string path_and_query;
};
std::optional<UrlParts> parse_url(std::string_view url);
// True when both URLs have the same scheme and host[:port]: credentials may be sent again.
bool same_origin(std::string_view a, std::string_view b);

// The target of a Link header's rel="next" (RFC 8288 §3; distribution-spec §"Listing Tags" and
// §"Listing Referrers" paginate so), as written; nullopt when there is none.
std::optional<std::string> next_link(std::string_view link_header);

// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; nullopt if absent/unparsable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace ecrm::http
