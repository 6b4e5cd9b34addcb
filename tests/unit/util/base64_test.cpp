#include "util/base64.hpp"

#include <catch2/catch.hpp>

using namespace ecrm;
using namespace ecrm::util;

TEST_CASE("base64_encode matches RFC 4648 section 10", "[base64]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("AWS:secret") == "QVdTOnNlY3JldA==");
  CHECK(base64_encode(std::string("\xfb\xff\xfe", 3)) == "+//+");  // the two non-alnum symbols
}

TEST_CASE("base64_decode reverses RFC 4648 vectors with and without padding", "[base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"},
  };
  for (const auto& [encoded, plain] : vectors) {
    auto padded = base64_decode(encoded);
    REQUIRE(padded.ok());
    CHECK(*padded == plain);
    std::string unpadded(encoded);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    auto bare = base64_decode(unpadded);
    REQUIRE(bare.ok());
    CHECK(*bare == plain);
  }
}

TEST_CASE("base64 round-trips every byte value", "[base64]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    std::string data = all.substr(0, length);
    auto decoded = base64_decode(base64_encode(data));
    REQUIRE(decoded.ok());
    CHECK(*decoded == data);
  }
}

TEST_CASE("base64_decode rejects malformed input as Integrity", "[base64]") {
  const char* bad[] = {
      "Zm9v!",     // invalid character
      "Zm 9v",     // whitespace
      "Zm9v\n",    // line break
      "Zm9-",      // URL-safe alphabet is not the standard one
      "Zm9_",      //
      "Z",         // one data character cannot form a byte
      "Zm9vY",     // 5 data characters
      "Zg=",       // padded but not a multiple of 4
      "Zg===",     // too much padding
      "====",      // padding only
      "Zg==Zg==",  // padding in the middle
      "Zm=v",      // '=' inside a quantum
  };
  for (const char* text : bad) {
    INFO(text);
    auto result = base64_decode(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Integrity);
    CHECK_FALSE(result.error().message.empty());
  }
}

TEST_CASE("base64_decode errors never echo the input (it may be a credential)", "[base64]") {
  auto result = base64_decode("c2VjcmV0cGFzc3dvcmQ*");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("c2VjcmV0") == std::string::npos);
  CHECK(result.error().message.find("19") != std::string::npos);  // names the offset instead
}
