#include "registry/transport.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include "registry/errors.hpp"
#include "util/base64.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::registry {
namespace {

constexpr int kMaxRedirects = 5;
// Token responses are tiny; a large one is hostile or broken (issue: token bodies over 64 KiB).
constexpr std::size_t kMaxTokenBody = 64 * 1024;
// Distribution's token spec: without expires_in a token lasts 60 s.
constexpr std::chrono::seconds kDefaultTokenLifetime{60};

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string scope_key(const std::vector<std::string>& scopes) {
  std::set<std::string> sorted(scopes.begin(), scopes.end());
  return util::join({sorted.begin(), sorted.end()}, " ");
}

// ECR answers a request whose bearer token has expired with 400 and the code DENIED ("Your
// authorization token has expired. Reauthenticate and try again.", aws/aws-cli#6580) and no
// WWW-Authenticate, where the distribution spec would send 401 with a challenge. A HEAD carries no
// body to tell, so a 400 to an authorised HEAD counts too: renewing once is cheap, and a real 400
// comes back again and is reported as it is.
bool is_expired_token_denial(const Call& call, const http::Response& response) {
  if (response.status != 400) return false;
  return call.method == "HEAD" || error_from_response(call.what, response).code == "DENIED";
}

std::string basic_header(const auth::Credential& credential) {
  return "Basic " + util::base64_encode(credential.username + ":" + credential.password);
}

}  // namespace

Transport::Transport(std::string host, bool insecure, CredentialSource credentials,
                     TransportConfig config)
    : host_(std::move(host)),
      insecure_(insecure),
      credentials_(std::move(credentials)),
      config_(std::move(config)) {}

void Transport::assume_basic_auth() {
  std::lock_guard lock(mutex_);
  if (!challenge_) challenge_ = auth::Challenge{"basic", {}};
}

bool Transport::learn_challenge(const http::Response& response) {
  // Only the registry itself may say where credentials go: a host it redirected us to (a CDN,
  // an object store, or something hostile) must never be able to ask for them.
  if (!http::same_origin(response.url, base_url())) return false;
  auto challenges =
      auth::parse_www_authenticate(response.headers.get("WWW-Authenticate").value_or(""));
  std::optional<auth::Challenge> chosen;
  for (const auto& c : challenges)
    if (c.scheme == "bearer" && !c.param("realm").empty()) chosen = c;
  if (!chosen)
    for (const auto& c : challenges)
      if (c.scheme == "basic") chosen = c;
  if (!chosen) return false;
  std::lock_guard lock(mutex_);
  // Tokens are cached per scope set, so only another realm or service makes them stale: the same
  // challenge learnt again by a call sent side by side with the first must not throw away the
  // token that call just fetched.
  const bool same_issuer = challenge_ && challenge_->scheme == chosen->scheme &&
                           challenge_->param("realm") == chosen->param("realm") &&
                           challenge_->param("service") == chosen->param("service");
  challenge_ = std::move(chosen);
  if (!same_issuer) tokens_.clear();
  return true;
}

Expected<Transport::Token> Transport::fetch_token(http::Client& client,
                                                  const auth::Challenge& challenge,
                                                  const std::vector<std::string>& scopes,
                                                  bool refresh) {
  const std::string realm = challenge.param("realm");
  auto realm_parts = http::parse_url(realm);
  if (!realm_parts || (realm_parts->scheme != "https" && realm_parts->scheme != "http")) {
    return make_error(ErrorKind::Auth, "the " + config_.role + " registry " + host_ +
                                           " named an unusable token realm");
  }
  // A token realm over plain HTTP for an HTTPS registry would expose the credentials.
  if (!insecure_ && realm_parts->scheme != "https") {
    return make_error(ErrorKind::Auth,
                      "the " + config_.role + " registry " + host_ +
                          " sent an http:// token realm (" + realm +
                          "); refusing to send credentials over plain HTTP",
                      "the registry is misconfigured; its token service must use https");
  }
  auto credential = credentials_(refresh);
  if (!credential) return credential.error();

  http::Request request;
  std::string query;
  if (auto service = challenge.param("service"); !service.empty())
    query += "service=" + util::url_encode(service);
  for (const auto& scope : scopes)
    query += (query.empty() ? "" : "&") + ("scope=" + util::url_encode(scope));
  request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
  request.max_body = kMaxTokenBody;
  if (!credential->anonymous()) request.headers.set("Authorization", basic_header(*credential));
  // Token services fail transiently like registries do: same retry rules (no redirects: a
  // token endpoint that redirects would take the credentials elsewhere).
  Backoff backoff(config_.retry);
  auto response = client.send(request);
  while (true) {
    std::optional<std::chrono::milliseconds> retry_after;
    if (response && !is_retryable_status(response->status)) break;
    if (!response && !response.error().retryable) break;
    if (response)
      if (auto value = response->headers.get("Retry-After"))
        retry_after = http::parse_retry_after(*value);
    auto delay = backoff.next(retry_after);
    if (!delay) break;
    util::Log::get().info(
        "token request to " + realm_parts->host + ": " +
        (response ? "HTTP " + std::to_string(response->status) : response.error().message) +
        ", retrying in " + util::format_duration(delay->count() / 1000.0));
    if (!sleep_unless_cancelled(*delay, config_.cancel))
      return make_error(ErrorKind::Cancelled, "cancelled");
    response = client.send(request);
  }
  if (!response) {
    Error e = response.error();
    e.message = "token request to " + realm_parts->host + " for the " + config_.role +
                " registry failed: " + e.message;
    return e;
  }
  if (response->status == 401 || response->status == 403) {
    return make_error(
        ErrorKind::Auth,
        "the " + config_.role + " registry's token service (" + realm_parts->host + ") refused " +
            (credential->anonymous() ? "anonymous access" : "the credentials") + " for " +
            util::join(scopes, " ") + " (HTTP " + std::to_string(response->status) + ")",
        credential->anonymous()
            ? "give credentials for " + host_ + " (--" + config_.role + "-username/--" +
                  config_.role + "-password or --docker-config)"
            : "check the username/password for " + host_ +
                  " and that it may pull/push this repository");
  }
  if (response->status != 200) {
    Error e = error_from_response("token request to " + realm_parts->host, *response);
    return e;
  }
  auto json = util::Json::parse(response->body, 8);
  if (!json || !json->is_object()) {
    return make_error(ErrorKind::Auth, "the token service " + realm_parts->host +
                                           " answered with something other than a JSON object");
  }
  Token token;
  token.value = json->get_string("token").value_or(json->get_string("access_token").value_or(""));
  if (token.value.empty()) {
    return make_error(ErrorKind::Auth,
                      "the token service " + realm_parts->host + " returned no token");
  }
  util::Log::get().add_secret(token.value);
  auto lifetime = kDefaultTokenLifetime;
  if (auto expires_in = json->get_int("expires_in"); expires_in && *expires_in > 0)
    lifetime = std::chrono::seconds(*expires_in);
  // Renew a little early so a token never expires in the middle of a request.
  auto margin = std::min<std::chrono::seconds>(lifetime / 5, std::chrono::seconds(30));
  token.expires = std::chrono::steady_clock::now() + lifetime - margin;
  return token;
}

Expected<std::string> Transport::authorization(http::Client& client,
                                               const std::vector<std::string>& scopes,
                                               bool refresh) {
  std::lock_guard lock(mutex_);
  // No challenge seen yet: go anonymously. Learning the scheme from the first 401 instead of a
  // separate GET /v2/ costs the same on registries that want auth and saves a request on those
  // that do not (a no-op run is then 1 + tags requests on the wire).
  if (!challenge_) return std::string();
  if (challenge_->scheme == "basic") {
    auto credential = credentials_(refresh);
    if (!credential) return credential.error();
    if (credential->anonymous()) return std::string();
    return basic_header(*credential);
  }
  const std::string key = scope_key(scopes);
  auto cached = tokens_.find(key);
  if (!refresh && cached != tokens_.end() &&
      cached->second.expires > std::chrono::steady_clock::now()) {
    return "Bearer " + cached->second.value;
  }
  auto token = fetch_token(client, *challenge_, scopes, refresh);
  if (!token) return token.error();
  tokens_[key] = *token;
  return "Bearer " + token->value;
}

Expected<http::Response> Transport::exchange(http::Client& client, Call& call,
                                             const std::string& authorization) {
  std::string url =
      util::starts_with(call.target, "http://") || util::starts_with(call.target, "https://")
          ? call.target
          : base_url() + call.target;
  const std::string origin = base_url();
  for (int hop = 0;; ++hop) {
    http::Request request;
    request.method = call.method;
    request.head = call.method == "HEAD";
    request.url = url;
    request.headers = call.headers;
    request.body = call.body;
    request.body_reader = call.body_reader;
    request.body_size = call.body_size;
    request.body_sink = call.body_sink;
    request.max_body = call.max_body;
    // Credentials go only to the registry's own origin: blob GETs redirect to CDNs and object
    // stores that must never see them.
    if (!authorization.empty() && http::same_origin(url, origin))
      request.headers.set("Authorization", authorization);
    requests_.fetch_add(1);
    pace();
    auto response = client.send(request);
    if (!response) return response;
    note_rate_limit(*response);
    const bool follow = call.method == "GET" || call.method == "HEAD";
    if (!follow || !is_redirect(response->status)) return response;
    auto location = response->headers.get("Location");
    if (!location || hop >= kMaxRedirects) return response;
    std::string next = http::resolve_url(url, *location);
    auto from = http::parse_url(url);
    auto to = http::parse_url(next);
    if (!to || (from && from->scheme == "https" && to->scheme != "https")) {
      return make_error(ErrorKind::Registry, call.what + ": the " + config_.role + " registry " +
                                                 host_ +
                                                 " redirected to an insecure or invalid URL");
    }
    util::Log::get().debug(call.what + ": redirected to " + to->scheme + "://" + to->host);
    url = std::move(next);
  }
}

void Transport::pace() {
  if (config_.requests_per_second <= 0) return;
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / config_.requests_per_second));
  std::chrono::steady_clock::time_point slot;
  {
    std::lock_guard lock(pace_mutex_);
    const auto now = std::chrono::steady_clock::now();
    slot = std::max(now, next_slot_);
    next_slot_ = slot + interval;
  }
  std::this_thread::sleep_until(slot);
}

// Docker Hub states its pull allowance on every manifest answer, HEADs included, which do not
// count against it (Docker docs, "Docker Hub usage and limits": RateLimit-Limit and
// RateLimit-Remaining, "<n>;w=<seconds>").
void Transport::note_rate_limit(const http::Response& response) {
  auto value = response.headers.get("RateLimit-Remaining");
  if (!value) return;
  long remaining = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') break;
    remaining = remaining * 10 + (c - '0');
    if (remaining > 1000000) break;
  }
  pulls_remaining_.store(remaining);
  if (remaining <= 10 && !warned_low_pulls_.exchange(true))
    util::Log::get().warning(host_ + " allows " + std::to_string(remaining) +
                             " more pulls in its current window (RateLimit-Remaining); the run "
                             "stops before a pull it would refuse");
}

Expected<http::Response> Transport::send(http::Client& client, Call& call) {
  // A GET of a manifest is a pull; with none left the registry would answer 429 until the
  // window ends, so stop with the reason instead of retrying into it.
  if (call.method == "GET" && call.target.find("/manifests/") != std::string::npos &&
      pulls_remaining_.load() == 0)
    return make_error(ErrorKind::Registry,
                      call.what + ": " + host_ +
                          " has no pulls left in its rate-limit window (RateLimit-Remaining: 0)",
                      "sign in to the registry (registries.<host>.username-env/password-env in "
                      "the config, or --source-username) for a larger allowance, or re-run when "
                      "the window ends");
  Backoff backoff(config_.retry);
  bool refreshed = false;
  bool learned = false;
  while (true) {
    auto authorization_value = authorization(client, call.scopes, false);
    if (!authorization_value) return authorization_value.error();
    auto response = exchange(client, call, *authorization_value);
    std::optional<std::chrono::milliseconds> retry_after;
    if (response) {
      util::Log::get().debug(call.what + " → " + std::to_string(response->status));
      if (response->status == 401 && authorization_value->empty() && !learned) {
        // The first answer that asks for credentials names the scheme (and the token realm).
        learned = true;
        // A 401 that came from a host we were redirected to says nothing we may trust; ask the
        // registry's own /v2/ (the spec's version check) for its challenge instead.
        if (!http::same_origin(response->url, base_url())) {
          util::Log::get().debug(call.what + ": 401 from " + response->url +
                                 ", asking the registry's /v2/ for its challenge");
          http::Request ping;
          ping.url = base_url() + "/v2/";
          ping.max_body = kMaxTokenBody;
          requests_.fetch_add(1);
          auto pinged = client.send(ping);
          if (pinged && pinged->status == 401) response = std::move(pinged);
        }
        if (learn_challenge(*response)) {
          if (!call.replayable()) return response;  // the caller restarts the stream
          continue;
        }
        return response;
      }
      if ((response->status == 401 || is_expired_token_denial(call, *response)) && !refreshed &&
          !authorization_value->empty()) {
        // The token or the registry password expired mid-run (ECR's last 12 h): renew once.
        refreshed = true;
        learn_challenge(*response);
        auto renewed = authorization(client, call.scopes, true);
        if (!renewed) return renewed.error();
        if (!call.replayable()) return response;  // the caller restarts the stream
        continue;
      }
      if (!is_retryable_status(response->status) || !call.replayable()) return response;
      if (auto value = response->headers.get("Retry-After"))
        retry_after = http::parse_retry_after(*value);
    } else if (!response.error().retryable || !call.replayable()) {
      Error e = response.error();
      if (e.kind == ErrorKind::Network) e.message = call.what + ": " + e.message;
      return e;
    }
    auto delay = backoff.next(retry_after);
    if (!delay) {
      if (response) return response;  // the caller turns the last status into its error
      Error e = response.error();
      e.message = call.what + " failed after " + std::to_string(backoff.attempts()) +
                  (backoff.attempts() == 1 ? " attempt: " : " attempts: ") + e.message;
      return e;
    }
    util::Log::get().info(
        call.what + ": " +
        (response ? "HTTP " + std::to_string(response->status) : response.error().message) +
        ", retrying in " + util::format_duration(delay->count() / 1000.0));
    if (!sleep_unless_cancelled(*delay, config_.cancel))
      return make_error(ErrorKind::Cancelled, "cancelled");
  }
}

}  // namespace ecrm::registry
