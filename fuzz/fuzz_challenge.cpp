// Fuzzes the WWW-Authenticate parser (auth::parse_www_authenticate): the header comes from any
// registry the user names, and its realm decides where credentials are sent next.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/challenge.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto challenges = auth::parse_www_authenticate(header);
  // Every challenge consumes at least its scheme's bytes.
  FUZZ_CHECK(challenges.size() <= size);
  for (const auto& challenge : challenges) {
    FUZZ_CHECK(!challenge.scheme.empty());
    FUZZ_CHECK(is_lower(challenge.scheme));
    FUZZ_CHECK(challenge.scheme.find_first_of(" \t\r\n,=\"") == std::string::npos);
    for (const auto& [key, value] : challenge.params) {
      FUZZ_CHECK(!key.empty());
      FUZZ_CHECK(is_lower(key));
      FUZZ_CHECK(key.find_first_of(" \t\r\n,=\"") == std::string::npos);
      // Unquoting only removes bytes.
      FUZZ_CHECK(value.size() <= size);
      FUZZ_CHECK(challenge.param(key) == value);
    }
    // The realm is next handed to the URL helpers; they must take whatever a registry sends.
    const std::string realm = challenge.param("realm");
    if (!realm.empty()) {
      const auto parts = http::parse_url(realm);
      if (parts) FUZZ_CHECK(!parts->host.empty() && parts->path_and_query.front() == '/');
      (void)http::same_origin(realm, "https://registry.example.com/v2/");
    }
  }
  return 0;
}
