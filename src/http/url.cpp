// URL helpers that must not depend on libcurl: pure, fuzzable, unit-tested.
#include <ctime>
#include <string>

#include "http/client.hpp"
#include "util/strings.hpp"

namespace ecrm::http {

std::optional<UrlParts> parse_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  UrlParts parts;
  parts.scheme = util::to_lower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  // Userinfo in a URL would carry credentials we did not choose to send; refuse it.
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  parts.host = util::to_lower(authority);
  parts.path_and_query =
      path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!parts.path_and_query.empty() && parts.path_and_query[0] != '/')
    parts.path_and_query.insert(0, "/");
  auto fragment = parts.path_and_query.find('#');
  if (fragment != std::string::npos) parts.path_and_query.resize(fragment);
  return parts;
}

namespace {

// RFC 3986 §5.2.4: remove "." and ".." segments.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string> out;
  for (const auto& segment : util::split(path, '/')) {
    if (segment == ".") continue;
    if (segment == "..") {
      if (out.size() > 1) out.pop_back();
      continue;
    }
    out.push_back(segment);
  }
  std::string joined = util::join(out, "/");
  if (joined.empty() || joined[0] != '/') joined.insert(0, "/");
  if ((util::ends_with(path, "/.") || util::ends_with(path, "/..")) && joined.back() != '/')
    joined += '/';
  return joined;
}

}  // namespace

std::string resolve_url(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) {
    auto colon = location.find(':');
    auto slash = location.find('/');
    if (colon < slash) return std::string(location);
  }
  auto parts = parse_url(base);
  if (!parts) return std::string(location);
  if (util::starts_with(location, "//")) return parts->scheme + ":" + std::string(location);
  const std::string origin = parts->scheme + "://" + parts->host;
  if (location.empty()) return origin + parts->path_and_query;
  std::string_view path_only = location;
  std::string suffix;
  auto query = location.find_first_of("?#");
  if (query != std::string_view::npos) {
    path_only = location.substr(0, query);
    suffix = std::string(location.substr(query));
  }
  if (path_only.empty()) {  // "?x=1": same path, new query
    std::string base_path = parts->path_and_query.substr(0, parts->path_and_query.find('?'));
    return origin + base_path + suffix;
  }
  if (location[0] == '/') return origin + remove_dot_segments(path_only) + suffix;
  std::string base_path = parts->path_and_query.substr(0, parts->path_and_query.find('?'));
  base_path = base_path.substr(0, base_path.rfind('/') + 1);
  return origin + remove_dot_segments(base_path + std::string(path_only)) + suffix;
}

bool same_origin(std::string_view a, std::string_view b) {
  auto pa = parse_url(a);
  auto pb = parse_url(b);
  return pa && pb && pa->scheme == pb->scheme && pa->host == pb->host;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  std::string text = util::trim(value);
  if (text.empty()) return std::nullopt;
  std::uint64_t seconds = 0;
  if (util::parse_uint(text, seconds)) {
    return std::chrono::milliseconds(std::min<std::uint64_t>(seconds, 86400) * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const std::time_t when = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  if (when <= now) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(when - now) * 1000);
}

std::optional<std::string> next_link(std::string_view link_header) {
  // link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), several separated by ",".
  std::size_t at = 0;
  while (at < link_header.size()) {
    const std::size_t open = link_header.find('<', at);
    if (open == std::string_view::npos) return std::nullopt;
    const std::size_t close = link_header.find('>', open);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view target = link_header.substr(open + 1, close - open - 1);
    std::size_t end = link_header.find('<', close);
    std::string_view params = link_header.substr(
        close + 1, end == std::string_view::npos ? std::string_view::npos : end - close - 1);
    // Each link-param is `name = value` or `name = "v a l"`; rel's value lists relation types.
    for (const std::string& param : util::split(params, ';')) {
      std::string text = util::to_lower(util::trim(param));
      while (!text.empty() && text.back() == ',')
        text = util::trim(text.substr(0, text.size() - 1));
      if (!util::starts_with(text, "rel")) continue;
      std::size_t equals = text.find('=');
      if (equals == std::string::npos || util::trim(text.substr(3, equals - 3)) != "") continue;
      std::string value = util::trim(text.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      for (const std::string& type : util::split(value, ' '))
        if (type == "next") return std::string(target);
    }
    if (end == std::string_view::npos) break;
    at = end;
  }
  return std::nullopt;
}

}  // namespace ecrm::http
