#include "util/strings.hpp"

#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>

namespace ecrm::util {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string printf_string(const char* format, double value, const char* unit) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value, unit);
  return buffer;
}

// Binary units with one decimal. The unit is chosen after rounding so that 1023.96 KiB prints as
// "1.0 MiB" rather than "1024.0 KiB".
std::string format_binary(double value, const char* suffix) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB"};
  if (!(value >= 0) || std::isinf(value)) value = 0;  // NaN and infinities say nothing useful
  if (std::round(value) < 1024) return printf_string("%.0f B%s", value, suffix);
  std::size_t unit = 0;
  value /= 1024;
  while (unit + 1 < std::size(kUnits) && std::round(value * 10) / 10 >= 1024) {
    value /= 1024;
    ++unit;
  }
  std::string unit_and_suffix = std::string(kUnits[unit]) + suffix;
  return printf_string("%.1f %s", value, unit_and_suffix.c_str());
}

}  // namespace

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      fields.emplace_back(text.substr(start));
      return fields;
    }
    fields.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(",\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = trim(text.substr(start, end - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = end + 1;
  }
  return items;
}

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = upper(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(items[i]);
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

// Malformed escapes ("%", "%G1") are kept literally: a lenient decoder never loses input.
// '+' stays '+' because RFC 3986 gives it no special meaning (only HTML forms do).
std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string format_bytes(std::uint64_t bytes) {
  return format_binary(static_cast<double>(bytes), "");
}

// A zero or negative duration (a copy faster than the clock's resolution) reports the bytes as if
// they took one second, rather than dividing by zero.
std::string format_rate(std::uint64_t bytes, double seconds) {
  double rate = static_cast<double>(bytes);
  if (seconds > 0) rate /= seconds;
  return format_binary(rate, "/s");
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || std::isinf(seconds)) seconds = 0;
  if (seconds > 1e12) seconds = 1e12;  // keeps llround in range; nothing runs for 30000 years
  char buffer[64];
  // The unit is chosen after rounding, as in format_bytes: 59.999 s prints "1 min 00 s".
  if (std::round(seconds * 100) / 100 < 60) {
    std::snprintf(buffer, sizeof buffer, "%.2f s", seconds);
    return buffer;
  }
  auto total = static_cast<std::uint64_t>(std::llround(seconds));
  std::uint64_t hours = total / 3600;
  std::uint64_t minutes = (total % 3600) / 60;
  std::uint64_t secs = total % 60;
  if (hours > 0) {
    std::snprintf(buffer, sizeof buffer, "%llu h %02llu min %02llu s",
                  static_cast<unsigned long long>(hours), static_cast<unsigned long long>(minutes),
                  static_cast<unsigned long long>(secs));
  } else {
    std::snprintf(buffer, sizeof buffer, "%llu min %02llu s",
                  static_cast<unsigned long long>(minutes), static_cast<unsigned long long>(secs));
  }
  return buffer;
}

bool parse_uint(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

}  // namespace ecrm::util
