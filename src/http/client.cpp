// The only file that includes libcurl.
#include "http/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "http/trust_store.hpp"
#include "util/strings.hpp"

namespace ecrm::http {
namespace {

// One share handle for the process: DNS answers and TLS sessions are reused across the clients
// of all threads, so a worker's second connection to a registry skips the full TLS handshake.
struct Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  // libcurl's compiled-in CA bundle (CURLINFO_CAINFO, libcurl 7.84), given to connections
  // through one process-wide store (http/trust_store.hpp) when libcurl's TLS is our OpenSSL;
  // otherwise libcurl reads its CA files itself.
  bool shared_trust = false;
  std::string default_ca_file;
};

void find_default_trust(Shared& s) {
  const curl_version_info_data* version = curl_version_info(CURLVERSION_NOW);
  if (version == nullptr || version->ssl_version == nullptr ||
      !curl_uses_our_openssl(version->ssl_version))
    return;
  CURL* probe = curl_easy_init();
  if (probe == nullptr) return;
  char* file = nullptr;
  if (curl_easy_getinfo(probe, CURLINFO_CAINFO, &file) == CURLE_OK && file != nullptr) {
    s.shared_trust = true;
    s.default_ca_file = file;
  }
  curl_easy_cleanup(probe);
}

Shared& shared() {
  static Shared* instance = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto* s = new Shared();
    find_default_trust(*s);
    s->share = curl_share_init();
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
    curl_share_setopt(
        s->share, CURLSHOPT_LOCKFUNC,
        +[](CURL*, curl_lock_data data, curl_lock_access, void* user) {
          static_cast<Shared*>(user)->locks[data].lock();
        });
    curl_share_setopt(
        s->share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data data, void* user) {
          static_cast<Shared*>(user)->locks[data].unlock();
        });
    return s;
  }();
  return *instance;
}

// Error bodies are only read for their message; cap them so a hostile server cannot make us
// buffer without bound.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

}  // namespace

// --- Headers ---------------------------------------------------------------------------------

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(items_, [&](const auto& item) { return util::iequals(item.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : items_)
    if (util::iequals(key, name)) return value;
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : items_)
    if (util::iequals(key, name)) values.push_back(value);
  return values;
}

// --- Client ----------------------------------------------------------------------------------

struct Client::Impl {
  ClientConfig config;
  CURL* curl = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};

  // Per-exchange state, reset by send().
  Request* request = nullptr;
  Response* response = nullptr;
  std::size_t upload_offset = 0;
  bool sink_aborted = false;
  bool reader_aborted = false;
  bool body_too_large = false;
  bool cancelled = false;
  std::string ca_bundle;  // what the shared trust store is read from
  bool trust_prefetched = false;
  std::string trust_error;  // why the trust store could not be given to a connection

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    std::string_view line(data, size * count);
    if (util::starts_with(line, "HTTP/")) {
      // A new status line (after 100 Continue, or a new response): start the headers afresh.
      self->response->headers = Headers();
      return line.size();
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      self->response->headers.add(util::trim(line.substr(0, colon)),
                                  util::trim(line.substr(colon + 1)));
    }
    return line.size();
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t total = size * count;
    long status = 0;
    curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &status);
    const bool success = status >= 200 && status < 300;
    if (success && self->request->body_sink) {
      if (!self->request->body_sink(data, total)) {
        self->sink_aborted = true;
        return 0;
      }
      return total;
    }
    const std::size_t limit = success ? self->request->max_body : kMaxErrorBody;
    if (self->response->body.size() + total > limit) {
      if (!success) return total;  // keep the start of an error body, drop the rest
      self->body_too_large = true;
      return 0;
    }
    self->response->body.append(data, total);
    return total;
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Impl*>(user);
    const std::size_t room = size * count;
    Request& request = *self->request;
    if (request.body_reader) {
      auto produced = request.body_reader(buffer, room);
      if (!produced) {
        self->reader_aborted = true;
        return CURL_READFUNC_ABORT;
      }
      return *produced;
    }
    const std::size_t left = request.body.size() - self->upload_offset;
    const std::size_t n = std::min(left, room);
    std::memcpy(buffer, request.body.data() + self->upload_offset, n);
    self->upload_offset += n;
    return n;
  }

  static CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (auto error = attach_trust_store(ssl_ctx, self->ca_bundle)) {
      self->trust_error = *error;
      return CURLE_SSL_CACERT_BADFILE;
    }
    return CURLE_OK;
  }

  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Impl*>(user);
    if (self->config.cancel && self->config.cancel->load()) {
      self->cancelled = true;
      return 1;
    }
    return 0;
  }
};

Client::Client(const ClientConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  const Shared& process = shared();
  impl_->ca_bundle = config.ca_file.empty() ? process.default_ca_file : config.ca_file;
  impl_->curl = curl_easy_init();
}

Client::~Client() {
  if (impl_ && impl_->curl) curl_easy_cleanup(impl_->curl);
}

Expected<Response> Client::send(Request& request) {
  auto parts = parse_url(request.url);
  if (!parts || (parts->scheme != "http" && parts->scheme != "https")) {
    return make_error(ErrorKind::Internal, "refusing a non-HTTP(S) URL: " + request.url);
  }
  if (impl_->config.cancel && impl_->config.cancel->load()) {
    return make_error(ErrorKind::Cancelled, "cancelled");
  }
  Impl& s = *impl_;
  CURL* curl = s.curl;
  // curl_easy_reset keeps the connection cache, so keep-alive connections survive.
  curl_easy_reset(curl);
  Response response;
  s.request = &request;
  s.response = &response;
  s.upload_offset = 0;
  s.sink_aborted = s.reader_aborted = s.body_too_large = s.cancelled = false;
  s.error_buffer[0] = '\0';
  s.trust_error.clear();
  const bool shared_trust = shared().shared_trust;
  // Read while this request resolves the name and connects: the handshake needs it a round trip
  // from now.
  if (shared_trust && parts->scheme == "https" && !s.trust_prefetched) {
    prefetch_trust_store(s.ca_bundle);
    s.trust_prefetched = true;
  }

  curl_easy_setopt(curl, CURLOPT_SHARE, shared().share);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, s.error_buffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, s.config.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(s.config.connect_timeout.count()));
  // A stalled transfer: less than 1 byte/s for stall_timeout seconds.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(s.config.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (shared_trust) {
    // No file or directory for libcurl to read into a store of its own: on_ssl_ctx hands the
    // handshake the shared one, the bundle alone (trust_store.hpp says why no directory).
    // Verification itself stays on (VERIFYPEER, VERIFYHOST above).
    curl_easy_setopt(curl, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &Impl::on_ssl_ctx);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &s);
  } else if (!s.config.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, s.config.ca_file.c_str());
  }
  // HTTP/1.1 even where the registry offers h2 (ALPN): libcurl 7.88 drives an HTTP/2 upload with
  // about six times the polls (342k vs 58k for 300 MiB over TLS, 30 ms round trip) and five times
  // the CPU (3.9 s vs 0.76 s, bench/README.md). Each worker keeps its own connection, so h2's
  // multiplexing would buy nothing here.
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 32L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 32L * 1024);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Impl::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Impl::on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &s);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  const bool has_body = request.body_reader || !request.body.empty() || request.method == "POST" ||
                        request.method == "PUT" || request.method == "PATCH";
  if (request.head || request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Impl::on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &s);
    if (request.body_reader) {
      if (request.body_size)
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(*request.body_size));
    } else {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* header_list = nullptr;
  // Registries answer uploads directly; waiting for 100-continue costs a round trip per blob.
  header_list = curl_slist_append(header_list, "Expect:");
  for (const auto& [name, value] : request.headers.all()) {
    std::string line = name + ": " + value;
    header_list = curl_slist_append(header_list, line.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.url = request.url;
  s.request = nullptr;
  s.response = nullptr;

  if (code == CURLE_OK) return response;
  const std::string origin = parts->scheme + "://" + parts->host;
  if (s.cancelled) return make_error(ErrorKind::Cancelled, "cancelled");
  if (s.body_too_large) {
    return make_error(ErrorKind::Integrity, request.method + " " + origin + parts->path_and_query +
                                                ": response body exceeds " +
                                                util::format_bytes(request.max_body - 1));
  }
  if (s.sink_aborted || s.reader_aborted) {
    Error e = make_error(ErrorKind::Integrity, "transfer aborted by its stream");
    e.code = "STREAM_ABORTED";
    return e;
  }
  std::string detail = !s.trust_error.empty() ? s.trust_error
                       : s.error_buffer[0]    ? s.error_buffer
                                              : curl_easy_strerror(code);
  Error e = make_error(ErrorKind::Network, request.method + " " + origin + ": " + detail);
  e.retryable = true;
  switch (code) {
    case CURLE_SSL_CACERT_BADFILE:
      if (!s.trust_error.empty()) {
        e.retryable = false;
        e.hint =
            "TLS is verified against SSL_CERT_FILE when it is set, else the system's bundle: point "
            "SSL_CERT_FILE at a readable PEM bundle, or unset it and install ca-certificates";
        break;
      }
      [[fallthrough]];
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
      e.retryable = false;
      e.hint =
          "the server's TLS certificate is not trusted; fix the certificate (TLS is always "
          "verified) or, for a plain-HTTP registry, list it in --insecure-registries";
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      e.hint = "check the registry host name and the runner's DNS";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      // libcurl reports both a slow connect and a stalled transfer as a timeout; its message
      // tells them apart ("Failed to connect … Timeout was reached", "Connection timed out
      // after …" vs "Operation too slow …").
      e.hint = util::to_lower(detail).find("connect") != std::string::npos
                   ? "the registry did not accept the connection in time; check the host and "
                     "port and that it is reachable from the runner, or raise --connect-timeout"
                   : "the transfer stalled; re-run, or raise --stall-timeout if the network is "
                     "slow";
      break;
    case CURLE_COULDNT_CONNECT:
      e.hint =
          "nothing accepted the connection; check the host and port, and that the registry "
          "is up and reachable from the runner";
      break;
    default:
      e.hint = "the connection broke (" + std::string(curl_easy_strerror(code)) +
               "); such failures are retried for --retry-time seconds, so the server or the "
               "network is failing persistently: check its status and re-run";
      break;
  }
  return e;
}

}  // namespace ecrm::http
