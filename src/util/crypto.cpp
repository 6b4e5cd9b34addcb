#include "util/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <new>
#include <random>

namespace ecrm::util {

namespace {

constexpr std::size_t kSha256Size = 32;

// Allocation failure inside OpenSSL is as fatal as std::bad_alloc anywhere else.
EVP_MD_CTX* new_sha256_context() {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr || EVP_DigestInit_ex(context, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context);
    throw std::bad_alloc();
  }
  return context;
}

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* context = nullptr;
  bool finalized = false;
  std::string digest;  // cached so a second hex_digest() call returns the same value

  Impl() : context(new_sha256_context()) {}
  ~Impl() { EVP_MD_CTX_free(context); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}

Sha256::~Sha256() = default;

// After hex_digest() the context is finished; bytes fed before reset() would belong to no digest,
// so they are dropped rather than silently starting a new one.
void Sha256::update(const void* data, std::size_t size) {
  if (impl_->finalized || size == 0) return;
  EVP_DigestUpdate(impl_->context, data, size);
}

std::string Sha256::hex_digest() {
  if (!impl_->finalized) {
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(impl_->context, raw, &length);
    impl_->digest = to_hex(std::string_view(reinterpret_cast<const char*>(raw), length));
    impl_->finalized = true;
  }
  return impl_->digest;
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(impl_->context, EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
  impl_->finalized = false;
  impl_->digest.clear();
}

std::string sha256_raw(std::string_view data) {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), raw, &length, EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();
  }
  return std::string(reinterpret_cast<const char*>(raw), length);
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256_raw(data));
}

// EVP_Q_mac is OpenSSL 3's one-shot MAC; HMAC() is deprecated there.
std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[kSha256Size];
  std::size_t length = 0;
  char digest_name[] = "SHA256";
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name, nullptr, key_bytes, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
                &length) == nullptr) {
    throw std::bad_alloc();
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string to_hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

// RAND_bytes only fails when OpenSSL cannot seed; std::random_device reads the kernel's getrandom
// on Linux, which is still a cryptographic source.
std::string random_hex(std::size_t bytes) {
  constexpr std::size_t kChunk = 1 << 16;  // RAND_bytes takes an int length
  std::string raw(bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  for (std::size_t done = 0; done < bytes;) {
    std::size_t chunk = std::min(kChunk, bytes - done);
    if (RAND_bytes(out + done, static_cast<int>(chunk)) != 1) {
      std::random_device device;
      for (std::size_t i = done; i < done + chunk; ++i)
        out[i] = static_cast<unsigned char>(device());
    }
    done += chunk;
  }
  return to_hex(raw);
}

}  // namespace ecrm::util
