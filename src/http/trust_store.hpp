#pragma once
// The certificates that TLS connections verify against, read once for the whole process. Left to
// itself, libcurl 7.88 builds a trust store per easy handle: every worker's handle parses the
// whole CA bundle (~145 certificates: 14 ms of CPU and about 1 MiB each, measured here), so a run
// with 16 workers held 32 copies (53 MiB peak RSS on a 100-layer image over TLS, 25 MiB with one
// shared store). OpenSSL's X509_STORE is reference-counted and may be given to many SSL_CTXs
// (SSL_CTX_set1_cert_store(3)); it is safe across threads only while nothing writes to it, which
// load() in trust_store.cpp arranges. The only file besides util/crypto.cpp that includes OpenSSL.
#include <optional>
#include <string>

namespace ecrm::http {

// True when the TLS library libcurl uses is the OpenSSL this process links: only then may an
// SSL_CTX of libcurl's be handed a store of ours.
bool curl_uses_our_openssl(const std::string& curl_ssl_version);

// Starts reading the PEM `bundle` on a thread of its own, once per process for each bundle, so
// that the first handshake finds it ready (it comes a round trip later, after the TCP connect).
//
// A bundle only, no hashed directory: OpenSSL's directory lookup adds certificates to the store
// during verification and, in OpenSSL 3.0, reads the store's list of objects without its lock
// (openssl/openssl#24295, fixed from 3.2). A store filled up front is only read, the way servers
// share one SSL_CTX between threads.
void prefetch_trust_store(const std::string& bundle);

// Gives `ssl_ctx` (an OpenSSL SSL_CTX*, untyped here so no OpenSSL type leaks) the process's store
// for `bundle`, waiting for it to be read if need be. The error, when the bundle cannot be read.
std::optional<std::string> attach_trust_store(void* ssl_ctx, const std::string& bundle);

}  // namespace ecrm::http
