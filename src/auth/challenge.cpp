// WWW-Authenticate parsing. Grammar (RFC 7235 §2.1, §4.1; RFC 7230 §3.2.6):
//   WWW-Authenticate = 1#challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
// A comma separates both challenges and parameters, so a token starts a new challenge exactly
// when it is not followed by "=". The header comes from the network: every step consumes at
// least one character, so any input ends in linear time.
#include "auth/challenge.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/strings.hpp"

namespace ecrm::auth {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 7230 §3.2.6 tchar.
bool is_tchar(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 7235 §2.1 token68 (without the trailing "=" padding).
bool is_token68_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// OWS is SP / HTAB; CR and LF are accepted too because folded or hand-written headers have them.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  std::vector<Challenge> parse() {
    std::vector<Challenge> challenges;
    while (true) {
      skip_separators();
      if (at_end()) break;
      if (peek() == '=') {
        // "=value" with no name: drop the value rather than read it as a scheme.
        ++pos_;
        skip_spaces();
        read_value();
        continue;
      }
      const std::string_view name = read_token();
      if (name.empty()) {
        // Not a token: a stray quoted-string is skipped whole, anything else one byte at a time.
        if (peek() == '"') {
          read_quoted_string();
        } else {
          ++pos_;
        }
        continue;
      }
      const std::size_t after_name = pos_;
      skip_spaces();
      if (!at_end() && peek() == '=') {
        ++pos_;
        skip_spaces();
        std::string value = read_value();
        // A parameter before any scheme belongs to no challenge and is dropped. RFC 7235 §2.2
        // forbids repeated names; the first one wins.
        if (!challenges.empty()) {
          challenges.back().params.emplace(util::to_lower(name), std::move(value));
        }
        continue;
      }
      Challenge challenge;
      challenge.scheme = util::to_lower(name);
      challenges.push_back(std::move(challenge));
      // token68 needs at least one space after the scheme (§2.1). Registries never send one
      // (Bearer and Basic challenges carry parameters), so it is recognised and skipped.
      if (pos_ > after_name) skip_token68();
    }
    return challenges;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_spaces() {
    while (!at_end() && is_space(peek())) ++pos_;
  }

  void skip_separators() {
    while (!at_end() && (is_space(peek()) || peek() == ',')) ++pos_;
  }

  std::string_view read_token() {
    const std::size_t start = pos_;
    while (!at_end() && is_tchar(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // RFC 7230 §3.2.6: quoted-pair "\" c stands for c. An unterminated string ends at the end of
  // the header.
  std::string read_quoted_string() {
    std::string out;
    ++pos_;  // opening quote
    while (!at_end()) {
      const char c = peek();
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        out += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (c != '\\') out += c;
      ++pos_;
    }
    return out;
  }

  // A bare value runs to the next space or comma. That is wider than `token` on purpose: some
  // registries send unquoted realms such as realm=https://host/token.
  std::string read_value() {
    if (!at_end() && peek() == '"') return read_quoted_string();
    const std::size_t start = pos_;
    while (!at_end() && !is_space(peek()) && peek() != ',') ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // Consumes a token68 only when it stands alone (followed by a comma or the end); otherwise
  // "realm=x" would be mistaken for the token68 "realm=".
  void skip_token68() {
    const std::size_t start = pos_;
    while (!at_end() && is_token68_char(peek())) ++pos_;
    if (pos_ == start) return;
    while (!at_end() && peek() == '=') ++pos_;
    skip_spaces();
    if (at_end() || peek() == ',') return;
    pos_ = start;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header_value) {
  return ChallengeParser(header_value).parse();
}

}  // namespace ecrm::auth
