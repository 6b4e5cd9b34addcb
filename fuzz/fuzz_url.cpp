// Fuzzes the URL helpers (http::parse_url, resolve_url, same_origin, parse_retry_after,
// next_link): a registry's Location, realm, Link and Retry-After decide where the next request
// goes, whether it carries credentials, and how long we wait. Input layout: base URL, newline,
// Location, newline, Retry-After.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/client.hpp"

using namespace ecrm;

namespace {

bool is_lower(std::string_view text) {
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

void check_parts(const http::UrlParts& parts) {
  FUZZ_CHECK(!parts.scheme.empty() && is_lower(parts.scheme));
  FUZZ_CHECK(!parts.host.empty() && is_lower(parts.host));
  // Userinfo would smuggle credentials we did not choose to send.
  FUZZ_CHECK(parts.host.find('@') == std::string::npos);
  FUZZ_CHECK(!parts.path_and_query.empty() && parts.path_and_query.front() == '/');
  FUZZ_CHECK(parts.path_and_query.find('#') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view base = take_line(rest);
  const std::string_view location = take_line(rest);
  const std::string_view retry_after = rest;

  const auto base_parts = http::parse_url(base);
  if (base_parts) {
    check_parts(*base_parts);
    FUZZ_CHECK(http::same_origin(base, base));
  } else {
    FUZZ_CHECK(!http::same_origin(base, base));
  }

  // A Link header's next target is a substring of the header, between < and >.
  if (const auto next = http::next_link(location)) {
    FUZZ_CHECK(location.find("<" + *next + ">") != std::string_view::npos);
  }

  const std::string resolved = http::resolve_url(base, location);
  FUZZ_CHECK(http::same_origin(base, resolved) == http::same_origin(resolved, base));
  if (base_parts) {
    // A relative Location (no scheme, no "//") stays on the registry that sent it: that is what
    // lets the Authorization header go along.
    const bool relative = location.find("://") == std::string_view::npos &&
                          !(location.size() >= 2 && location[0] == '/' && location[1] == '/');
    if (relative) FUZZ_CHECK(http::same_origin(base, resolved));
    const auto resolved_parts = http::parse_url(resolved);
    if (relative) {
      FUZZ_CHECK(resolved_parts.has_value());
      check_parts(*resolved_parts);
      // A Location with a path is merged and its dot segments removed (RFC 3986 §5.2.2-5.2.4);
      // an empty path keeps the base's path as it is, and the query is never touched.
      const bool has_path = !location.empty() && location[0] != '?' && location[0] != '#';
      const std::string path =
          resolved_parts->path_and_query.substr(0, resolved_parts->path_and_query.find('?'));
      if (has_path) FUZZ_CHECK(path.find("/../") == std::string::npos);
    }
  }

  const auto delay = http::parse_retry_after(retry_after);
  if (delay) FUZZ_CHECK(delay->count() >= 0);
  return 0;
}
