// The character-level grammar of github.com/distribution/reference (regexp.go): which path
// components, tags, digests and registry hosts are well formed. reference.cpp composes these and
// explains failures; here they only answer yes or no.
#include <cstddef>
#include <string_view>

#include "name/reference.hpp"

namespace ecrm::name {
namespace {

constexpr std::size_t kMaxTagLength = 128;
constexpr std::size_t kSha256HexLength = 64;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_hex(char c) {
  return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_valid_domain_component(std::string_view component) {
  if (component.empty() || !is_alnum(component.front()) || !is_alnum(component.back())) {
    return false;
  }
  for (char c : component) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// regexp.go ipv6address: \[[a-fA-F0-9:]+\]; zone ids and IPv4-mapped forms are excluded on
// purpose there, so they are here too.
bool is_valid_bracketed_ipv6(std::string_view host) {
  if (host.size() < 3 || host.front() != '[' || host.back() != ']') return false;
  for (char c : host.substr(1, host.size() - 2)) {
    if (!is_hex(c) && c != ':') return false;
  }
  return true;
}

bool is_valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

// path-component := [a-z0-9]+ ( ( [._] | __ | [-]+ ) [a-z0-9]+ )*
bool is_valid_path_component(std::string_view component) {
  std::size_t i = 0;
  const std::size_t n = component.size();
  if (n == 0 || !is_lower_alnum(component[0])) return false;
  while (i < n) {
    while (i < n && is_lower_alnum(component[i])) ++i;
    if (i == n) return true;
    if (component[i] == '.') {
      ++i;
    } else if (component[i] == '_') {
      ++i;
      if (i < n && component[i] == '_') ++i;
    } else if (component[i] == '-') {
      while (i < n && component[i] == '-') ++i;
    } else {
      return false;
    }
    // A separator must be followed by an alphanumeric run ("dock..er", "dock_.er", "docker-").
    if (i == n || !is_lower_alnum(component[i])) return false;
  }
  return true;
}

bool is_valid_digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + kSha256HexLength ||
      digest.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  for (char c : digest.substr(kPrefix.size())) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !is_word(tag.front())) return false;
  for (char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool is_valid_registry_host(std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  bool has_port = false;
  if (!name.empty() && name.front() == '[') {
    const std::size_t close = name.find(']');
    if (close == std::string_view::npos) return false;
    if (close + 1 < name.size()) {
      if (name[close + 1] != ':') return false;
      port = name.substr(close + 2);
      has_port = true;
    }
    name = name.substr(0, close + 1);
    if (!is_valid_bracketed_ipv6(name)) return false;
  } else {
    const std::size_t colon = name.find(':');
    if (colon != std::string_view::npos) {
      port = name.substr(colon + 1);
      has_port = true;
      name = name.substr(0, colon);
    }
    if (name.empty()) return false;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = name.find('.', start);
      const std::string_view component =
          name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (!is_valid_domain_component(component)) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return !has_port || is_valid_port(port);
}

}  // namespace ecrm::name
