#include "http/trust_store.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <future>
#include <map>
#include <mutex>
#include <system_error>

namespace ecrm::http {
namespace {

struct Loaded {
  X509_STORE* store = nullptr;
  std::string error;
};

std::string openssl_error() {
  char text[256] = {};
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// What libcurl 7.88 does with its own store (lib/vtls/openssl.c, populate_x509_store): the
// bundle, failing the connection when it cannot be read; TRUSTED_FIRST, and PARTIAL_CHAIN so
// that a certificate listed in the bundle is an anchor even when it is not a self-signed root
// (an intermediate, or a registry's own certificate given in SSL_CERT_FILE).
Loaded load(const std::string& bundle) {
  Loaded loaded;
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) {
    loaded.error = "cannot allocate a certificate store";
    return loaded;
  }
  X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_STORE_load_file(store, bundle.c_str()) != 1) {
    loaded.error = "cannot read the CA certificates in " + bundle + " (" + openssl_error() + ")";
    X509_STORE_free(store);
    return loaded;
  }
  // OpenSSL caches a certificate's decoded extensions in the certificate on first use, and two
  // threads that both find them missing both write them (openssl/openssl#32609; ThreadSanitizer
  // reports it here as ASN1_STRING_set against ASN1_STRING_cmp). Caching them now, before any
  // connection sees the store, leaves it read-only from then on.
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509* certificate = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i)))
      X509_check_purpose(certificate, -1, 0);
  }
  loaded.store = store;
  return loaded;
}

// One store per bundle for the process. Destroyed at exit (after every client is gone), once
// its loads have finished; SSL_CTXs still holding a store keep their own reference.
class Stores {
 public:
  Stores() = default;
  Stores(const Stores&) = delete;
  Stores& operator=(const Stores&) = delete;
  ~Stores() {
    for (auto& [bundle, loading] : loading_) X509_STORE_free(loading.get().store);
  }

  std::shared_future<Loaded> get(const std::string& bundle) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = loading_.find(bundle);
    if (found == loading_.end()) found = loading_.emplace(bundle, start(bundle)).first;
    return found->second;
  }

 private:
  // A thread that cannot be had (resources exhausted) only loses the head start: the load then
  // runs in the first handshake that needs it.
  static std::shared_future<Loaded> start(const std::string& bundle) {
    try {
      return std::async(std::launch::async, load, bundle).share();
    } catch (const std::system_error&) {
      return std::async(std::launch::deferred, load, bundle).share();
    }
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_future<Loaded>> loading_;
};

Stores& stores() {
  static Stores instance;
  return instance;
}

}  // namespace

bool curl_uses_our_openssl(const std::string& curl_ssl_version) {
  // libcurl writes "OpenSSL/3.0.17"; OPENSSL_VERSION_STRING is "3.0.17".
  return curl_ssl_version == std::string("OpenSSL/") + OpenSSL_version(OPENSSL_VERSION_STRING);
}

void prefetch_trust_store(const std::string& bundle) {
  stores().get(bundle);
}

std::optional<std::string> attach_trust_store(void* ssl_ctx, const std::string& bundle) {
  const Loaded& loaded = stores().get(bundle).get();
  if (loaded.store == nullptr) return loaded.error;
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), loaded.store);
  return std::nullopt;
}

}  // namespace ecrm::http
