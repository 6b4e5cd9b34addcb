#pragma once
// Small string helpers. Depends on nothing of the project.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ecrm::util {

std::vector<std::string> split(std::string_view text, char separator);  // keeps empty fields
// A user-supplied list: items separated by commas and/or newlines, each trimmed, empties dropped.
std::vector<std::string> split_list(std::string_view text);
std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string join(const std::vector<std::string>& items, std::string_view separator);
// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) kept, all else %XX
// (upper-case hex), as SigV4 and query strings require.
std::string url_encode(std::string_view text);
std::string url_decode(std::string_view text);
std::string format_bytes(std::uint64_t bytes);                 // "31.5 MiB", "512 B"
std::string format_rate(std::uint64_t bytes, double seconds);  // "105.2 MiB/s"
std::string format_duration(double seconds);                   // "1.42 s", "3 min 05 s"
// Parses a whole decimal number; false on anything else (sign, spaces, overflow).
bool parse_uint(std::string_view text, std::uint64_t& out);

}  // namespace ecrm::util
