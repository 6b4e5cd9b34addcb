#pragma once
// Talking to one registry host as thin layers (go-containerregistry's transport): learn the
// challenge from the first 401, fetch and cache a Bearer token per scope set (or use Basic), send,
// and on a later 401 refresh the credential once; retry 408/429/5xx and broken connections with
// backoff; follow redirects ourselves so Authorization never leaves the registry's origin.
// Thread-safe: workers share one Transport, each with its own http::Client.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/challenge.hpp"
#include "auth/keychain.hpp"
#include "http/client.hpp"
#include "registry/backoff.hpp"
#include "util/expected.hpp"

namespace ecrm::registry {

using CredentialSource = std::function<Expected<auth::Credential>(bool refresh)>;

struct TransportConfig {
  RetryPolicy retry;
  const std::atomic<bool>* cancel = nullptr;
  std::string role;                // "source" / "destination", for messages
  double requests_per_second = 0;  // 0: unpaced (a config's registries.<host>.requests-per-second)
};

struct Call {
  std::string method = "GET";
  std::string target;  // "/v2/…" on this registry, or an absolute URL (an upload Location)
  http::Headers headers;
  std::string body;
  std::function<std::optional<std::size_t>(char*, std::size_t)> body_reader;
  std::optional<std::uint64_t> body_size;
  std::function<bool(const char*, std::size_t)> body_sink;
  std::size_t max_body = 4 * 1024 * 1024 + 1;
  std::vector<std::string> scopes;  // "repository:<path>:pull[,push]"
  std::string what;                 // "HEAD manifest noble", for messages
  // Streamed calls cannot be replayed here; the caller restarts them from the beginning.
  bool replayable() const { return !body_reader && !body_sink; }
};

class Transport {
 public:
  Transport(std::string host, bool insecure, CredentialSource credentials, TransportConfig config);

  const std::string& host() const { return host_; }
  std::string base_url() const { return (insecure_ ? "http://" : "https://") + host_; }
  const TransportConfig& config() const { return config_; }

  // Any HTTP status comes back as a Response; only transport failures that outlived the retries,
  // authentication failures and cancellation are errors.
  Expected<http::Response> send(http::Client& client, Call& call);

  // Requests sent to the registry for the caller's calls (not pings or token fetches).
  std::uint64_t request_count() const { return requests_.load(); }

  // The registry is known to take Basic credentials on every request (private ECR takes
  // AWS:<token> so): send them from the first request instead of learning it from a 401.
  void assume_basic_auth();

  // Whether this registry takes a blob in one PUT after the POST; false for the rest of the run
  // once it refused one (mirror/blob_upload.hpp).
  bool takes_monolithic_upload() const { return monolithic_upload_.load(); }
  void refuse_monolithic_upload() { monolithic_upload_.store(false); }

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  // Adopts the scheme a 401 asks for (Bearer preferred, else Basic); false when it names none.
  bool learn_challenge(const http::Response& response);
  Expected<std::string> authorization(http::Client& client, const std::vector<std::string>& scopes,
                                      bool refresh);
  Expected<Token> fetch_token(http::Client& client, const auth::Challenge& challenge,
                              const std::vector<std::string>& scopes, bool refresh);
  Expected<http::Response> exchange(http::Client& client, Call& call, const std::string& auth);

  std::string host_;
  bool insecure_;
  CredentialSource credentials_;
  TransportConfig config_;
  std::mutex mutex_;
  std::optional<auth::Challenge> challenge_;  // the one we answer: Bearer preferred, else Basic
  std::map<std::string, Token> tokens_;       // by joined scope set
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<bool> monolithic_upload_{true};
  // Docker Hub's pull allowance as its last answer stated it (RateLimit-Remaining), -1 unknown.
  std::atomic<long> pulls_remaining_{-1};
  std::atomic<bool> warned_low_pulls_{false};
  std::mutex pace_mutex_;
  std::chrono::steady_clock::time_point next_slot_{};
  void pace();
  void note_rate_limit(const http::Response& response);
};

}  // namespace ecrm::registry
