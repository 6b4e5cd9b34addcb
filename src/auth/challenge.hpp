#pragma once
// WWW-Authenticate parsing (RFC 7235 §4.1, as registries send it: distribution's
// registry/client/auth/challenge). Pure, no I/O.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ecrm::auth {

struct Challenge {
  std::string scheme;                         // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lower-case; values unquoted and unescaped
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// One header value may hold several challenges ("Basic realm=x, Bearer realm=y,service=z").
// Malformed input yields what could be parsed, never throws.
std::vector<Challenge> parse_www_authenticate(std::string_view header_value);

}  // namespace ecrm::auth
