#include "util/strings.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace ecrm::util;
using Strings = std::vector<std::string>;

TEST_CASE("split keeps empty fields", "[strings]") {
  CHECK(split("a,b,c", ',') == Strings{"a", "b", "c"});
  CHECK(split("a,,b,", ',') == Strings{"a", "", "b", ""});
  CHECK(split("", ',') == Strings{""});
  CHECK(split(",", ',') == Strings{"", ""});
  CHECK(split("no-separator", ',') == Strings{"no-separator"});
}

TEST_CASE("split_list takes commas and newlines, trims, drops empties", "[strings]") {
  CHECK(split_list("linux/amd64, linux/arm64") == Strings{"linux/amd64", "linux/arm64"});
  CHECK(split_list("latest\n  v1.2 \r\n\n,,v2\n") == Strings{"latest", "v1.2", "v2"});
  CHECK(split_list("").empty());
  CHECK(split_list(" ,\n\t, ").empty());
  CHECK(split_list("one") == Strings{"one"});
}

TEST_CASE("trim and case helpers", "[strings]") {
  CHECK(trim("  \t a b \r\n") == "a b");
  CHECK(trim("") == "");
  CHECK(trim(" \n\t ") == "");
  CHECK(trim("x") == "x");
  CHECK(to_lower("Content-Type: ABC-123") == "content-type: abc-123");
  CHECK(to_upper("x-amz-date") == "X-AMZ-DATE");
  CHECK(iequals("WWW-Authenticate", "www-authenticate"));
  CHECK_FALSE(iequals("Bearer", "Basic"));
  CHECK_FALSE(iequals("abc", "abcd"));
  CHECK(iequals("", ""));
}

TEST_CASE("starts_with, ends_with and join", "[strings]") {
  CHECK(starts_with("sha256:abc", "sha256:"));
  CHECK_FALSE(starts_with("sha", "sha256:"));
  CHECK(starts_with("anything", ""));
  CHECK(ends_with("image.tar.gz", ".tar.gz"));
  CHECK_FALSE(ends_with("gz", ".tar.gz"));
  CHECK(ends_with("anything", ""));
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join({}, ",") == "");
  CHECK(join({"only"}, ",") == "only");
}

TEST_CASE("url_encode follows RFC 3986 as SigV4 requires", "[strings]") {
  CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(url_encode("a b") == "a%20b");
  CHECK(url_encode("a+b=c&d/e") == "a%2Bb%3Dc%26d%2Fe");
  CHECK(url_encode("*") == "%2A");
  CHECK(url_encode("repository:org/app:pull,push") == "repository%3Aorg%2Fapp%3Apull%2Cpush");
  CHECK(url_encode("\xC3\xA9") == "%C3%A9");  // UTF-8 bytes, upper-case hex
  CHECK(url_encode(std::string("\0\xff", 2)) == "%00%FF");
  CHECK(url_encode("") == "");
}

TEST_CASE("url_decode reverses url_encode and keeps malformed escapes", "[strings]") {
  CHECK(url_decode("a%20b%2Fc") == "a b/c");
  CHECK(url_decode("%c3%a9") == "\xC3\xA9");  // lower-case hex accepted
  CHECK(url_decode("a+b") == "a+b");
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%2") == "%2");
  CHECK(url_decode("%G1x") == "%G1x");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(url_decode(url_encode(all)) == all);
}

TEST_CASE("format_bytes uses binary units with one decimal", "[strings]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(33030144) == "31.5 MiB");
  CHECK(format_bytes(1048575) == "1.0 MiB");  // 1023.999 KiB rounds up into the next unit
  CHECK(format_bytes(1073741824) == "1.0 GiB");
  CHECK(format_bytes(5ull << 40) == "5120.0 GiB");  // GiB is the largest unit
  CHECK(format_bytes(std::numeric_limits<std::uint64_t>::max()) == "17179869184.0 GiB");
}

TEST_CASE("format_rate divides by seconds", "[strings]") {
  CHECK(format_rate(100ull << 20, 2.0) == "50.0 MiB/s");
  CHECK(format_rate(512, 1.0) == "512 B/s");
  CHECK(format_rate(1024, 0.5) == "2.0 KiB/s");
  CHECK(format_rate(0, 3.0) == "0 B/s");
  CHECK(format_rate(10237, 10.0) == "1.0 KiB/s");  // 1023.7 B/s must not print "1024 B/s"
  CHECK(format_rate(2048, 0.0) == "2.0 KiB/s");    // no division by zero
  CHECK(format_rate(2048, -1.0) == "2.0 KiB/s");   // a clock step backwards
}

TEST_CASE("format_duration", "[strings]") {
  CHECK(format_duration(1.42) == "1.42 s");
  CHECK(format_duration(0) == "0.00 s");
  CHECK(format_duration(59.5) == "59.50 s");
  CHECK(format_duration(59.999) == "1 min 00 s");
  CHECK(format_duration(185) == "3 min 05 s");
  CHECK(format_duration(3725) == "1 h 02 min 05 s");
  CHECK(format_duration(-5) == "0.00 s");
}

TEST_CASE("parse_uint accepts only whole decimal numbers", "[strings]") {
  std::uint64_t value = 42;
  CHECK(parse_uint("0", value));
  CHECK(value == 0);
  CHECK(parse_uint("007", value));
  CHECK(value == 7);
  CHECK(parse_uint("18446744073709551615", value));
  CHECK(value == std::numeric_limits<std::uint64_t>::max());

  value = 42;
  CHECK_FALSE(parse_uint("", value));
  CHECK_FALSE(parse_uint("18446744073709551616", value));  // max + 1
  CHECK_FALSE(parse_uint("99999999999999999999", value));
  CHECK_FALSE(parse_uint("-1", value));
  CHECK_FALSE(parse_uint("+1", value));
  CHECK_FALSE(parse_uint(" 1", value));
  CHECK_FALSE(parse_uint("1 ", value));
  CHECK_FALSE(parse_uint("1.5", value));
  CHECK_FALSE(parse_uint("0x10", value));
  CHECK_FALSE(parse_uint("12a", value));
  CHECK(value == 42);  // untouched on failure
}
