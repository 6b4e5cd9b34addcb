#include "util/crypto.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace ecrm::util;

namespace {
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}  // namespace

TEST_CASE("sha256 of known vectors", "[crypto]") {
  CHECK(sha256_hex("") == kEmptySha256);
  CHECK(sha256_hex("abc") == kAbcSha256);
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string raw = sha256_raw("abc");
  REQUIRE(raw.size() == 32);
  CHECK(to_hex(raw) == kAbcSha256);
}

TEST_CASE("to_hex is lower-case and covers every byte", "[crypto]") {
  CHECK(to_hex("") == "");
  CHECK(to_hex(std::string("\x00\x0f\xa0\xff", 4)) == "000fa0ff");
}

TEST_CASE("Sha256 incremental update equals the one-shot hash", "[crypto]") {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  const std::string expected = sha256_hex(data);

  for (std::size_t chunk : {1u, 3u, 64u, 1000u, 9999u, 20000u}) {
    INFO("chunk " << chunk);
    Sha256 hash;
    for (std::size_t offset = 0; offset < data.size(); offset += chunk) {
      std::size_t size = std::min(chunk, data.size() - offset);
      hash.update(data.data() + offset, size);
    }
    CHECK(hash.hex_digest() == expected);
  }

  Sha256 split_abc;
  split_abc.update("a", 1);
  split_abc.update("", 0);
  split_abc.update("bc", 2);
  CHECK(split_abc.hex_digest() == kAbcSha256);
}

TEST_CASE("Sha256 with no input and after reset", "[crypto]") {
  Sha256 hash;
  CHECK(hash.hex_digest() == kEmptySha256);

  Sha256 retried;
  retried.update("partial upload that failed", 26);
  retried.reset();
  retried.update("abc", 3);
  CHECK(retried.hex_digest() == kAbcSha256);

  // reset after finalizing starts a fresh digest too
  retried.reset();
  CHECK(retried.hex_digest() == kEmptySha256);
  retried.reset();
  retried.update("abc", 3);
  CHECK(retried.hex_digest() == kAbcSha256);
  CHECK(retried.hex_digest() == kAbcSha256);  // a repeated call returns the same digest
}

TEST_CASE("hmac_sha256 matches RFC 4231", "[crypto]") {
  // Test case 1
  std::string key1(20, '\x0b');
  CHECK(to_hex(hmac_sha256(key1, "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the block size
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first
  std::string key6(131, '\xaa');
  CHECK(to_hex(hmac_sha256(key6, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hmac_sha256("key", "data").size() == 32);
  // An empty key is valid HMAC (Python: hmac.new(b"", b"", sha256)).
  CHECK(to_hex(hmac_sha256("", "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("random_hex gives 2*n hex characters that differ between calls", "[crypto]") {
  CHECK(random_hex(0) == "");
  std::string a = random_hex(16);
  REQUIRE(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) seen.insert(random_hex(16));
  CHECK(seen.size() == 20);
  CHECK(random_hex(70000).size() == 140000);  // larger than one RAND_bytes chunk
}
