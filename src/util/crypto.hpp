#pragma once
// Hashing and randomness. Of util/, only crypto.cpp includes OpenSSL headers.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ecrm::util {

// Incremental SHA-256 for streaming blobs: update() as bytes pass, hex_digest() once at the end.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // 64 lower-case hex; finalizes: call once
  void reset();              // start over (a retried blob restarts cleanly)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_raw(std::string_view data);                         // 32 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string to_hex(std::string_view raw);                              // lower-case
std::string random_hex(std::size_t bytes);  // cryptographically random, 2*bytes hex chars

}  // namespace ecrm::util
