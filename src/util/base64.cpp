#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace ecrm::util {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (int& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<int, 256> kDecodeTable = make_decode_table();

// The decoded text is often a credential ("user:password"), so errors name offsets, never content.
Error malformed(std::string message) {
  return make_error(ErrorKind::Integrity, "invalid base64: " + std::move(message),
                    "expected standard base64 (A-Z a-z 0-9 + /, optional '=' padding) with no "
                    "whitespace or line breaks");
}

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16 |
                          static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8 |
                          static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 2]));
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
    out.push_back(kAlphabet[group & 0x3F]);
  }
  std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (rest == 2) {
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    }
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(rest == 2 ? kAlphabet[(group >> 6) & 0x3F] : '=');
    out.push_back('=');
  }
  return out;
}

// RFC 4648 §3.2: padding may be omitted when the length is known; when present it must complete
// the last quantum. Non-zero bits in the final partial symbol (§3.5) are tolerated, as Go's
// encoding/base64 (which writes Docker's config.json) tolerates them.
Expected<std::string> base64_decode(std::string_view text) {
  std::size_t data_length = text.size();
  std::size_t padding = 0;
  while (data_length > 0 && text[data_length - 1] == '=' && padding < 2) {
    --data_length;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return malformed("padded input of " + std::to_string(text.size()) +
                     " characters is not a multiple of 4");
  }
  if (data_length % 4 == 1) {
    return malformed(
        std::to_string(data_length) +
        " data characters cannot encode whole bytes (a character is missing or extra)");
  }

  std::string out;
  out.reserve(data_length / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_length; ++i) {
    int value = kDecodeTable[static_cast<unsigned char>(text[i])];
    if (value < 0) {
      return malformed("unexpected character at offset " + std::to_string(i));
    }
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace ecrm::util
