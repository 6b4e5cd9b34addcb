#include "config/semver.hpp"

#include <charconv>
#include <tuple>

namespace ecrm::config {
namespace {

// Up to three dot-separated numbers; "x", "X" or "*" stand for any (returned as -1).
struct Partial {
  int parts[3] = {-1, -1, -1};
  int given = 0;  // how many parts were written (wildcards count)
  std::string prerelease;
};

std::optional<int> number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;  // semver §2: no leading zeros
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Partial> parse_partial(std::string_view text, bool wildcards) {
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  Partial partial;
  if (auto plus = text.find('+'); plus != std::string_view::npos) text = text.substr(0, plus);
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    partial.prerelease = std::string(text.substr(dash + 1));
    if (partial.prerelease.empty()) return std::nullopt;
    text = text.substr(0, dash);
  }
  if (text.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start <= text.size()) {
    if (partial.given == 3) return std::nullopt;
    auto dot = text.find('.', start);
    auto piece =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (wildcards && (piece == "x" || piece == "X" || piece == "*")) {
      partial.parts[partial.given++] = -1;
    } else {
      auto value = number(piece);
      if (!value) return std::nullopt;
      partial.parts[partial.given++] = *value;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return partial;
}

Version floor_of(const Partial& p) {
  return {p.parts[0] < 0 ? 0 : p.parts[0], p.parts[1] < 0 ? 0 : p.parts[1],
          p.parts[2] < 0 ? 0 : p.parts[2], p.prerelease};
}

// How many leading parts are concrete numbers.
int concrete(const Partial& p) {
  int n = 0;
  while (n < p.given && p.parts[n] >= 0) ++n;
  return n;
}

// The first version above everything that starts with the first `keep` parts of p.
Version next_after(const Partial& p, int keep) {
  Version v{};
  if (keep <= 0) return {1 << 30, 0, 0, ""};
  v.major = p.parts[0] + (keep == 1 ? 1 : 0);
  if (keep >= 2) v.minor = p.parts[1] + (keep == 2 ? 1 : 0);
  if (keep >= 3) v.patch = p.parts[2] + 1;
  return v;
}

std::vector<std::string> split_on(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + separator.size();
  }
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace

std::optional<Version> parse_version(std::string_view tag) {
  auto partial = parse_partial(tag, false);
  if (!partial) return std::nullopt;
  return floor_of(*partial);
}

bool version_less(const Version& a, const Version& b) {
  if (a.key() != b.key()) return a.key() < b.key();
  if (a.prerelease.empty() != b.prerelease.empty()) return !a.prerelease.empty();
  return a.prerelease < b.prerelease;
}

Expected<Range> Range::parse(std::string_view text) {
  using Op = Bound::Op;
  auto bad = [&](const std::string& why) -> Error {
    return make_error(ErrorKind::Usage,
                      "semver range \"" + std::string(text) + "\" is not valid: " + why,
                      "write comparators such as >=1.2 <2, ^1.2.3, ~1.2, 1.x or *, alternatives "
                      "joined by ||");
  };
  Range range;
  for (const auto& alternative : split_on(text, "||")) {
    std::vector<Bound> bounds;
    for (const auto& raw : words(alternative)) {
      std::string_view c = raw;
      Op op = Op::Eq;
      char kind = 0;
      if (c.substr(0, 2) == ">=")
        op = Op::Ge, c.remove_prefix(2);
      else if (c.substr(0, 2) == "<=")
        op = Op::Le, c.remove_prefix(2);
      else if (c[0] == '>')
        op = Op::Gt, c.remove_prefix(1);
      else if (c[0] == '<')
        op = Op::Lt, c.remove_prefix(1);
      else if (c[0] == '=')
        c.remove_prefix(1);
      else if (c[0] == '^' || c[0] == '~')
        kind = c[0], c.remove_prefix(1);
      if (c == "*" || c == "x" || c == "X") {
        if (op != Op::Eq || kind) return bad("a wildcard takes no operator");
        bounds.push_back({Op::Ge, {}});
        continue;
      }
      auto partial = parse_partial(c, true);
      if (!partial) return bad("\"" + raw + "\" is not a version");
      const int n = concrete(*partial);
      if (n < partial->given && op != Op::Eq)
        return bad("\"" + raw + "\": wildcards only without an operator");
      const Version low = floor_of(*partial);
      if (kind == '^') {
        // ^1.2.3 := <2.0.0; ^0.2.3 := <0.3.0; ^0.0.3 := <0.0.4 (node-semver "Caret Ranges").
        int keep = 1;
        if (partial->parts[0] == 0 && n >= 2) keep = (partial->parts[1] == 0 && n >= 3) ? 3 : 2;
        bounds.push_back({Op::Ge, low});
        bounds.push_back({Op::Lt, next_after(*partial, std::min(keep, std::max(n, 1)))});
      } else if (kind == '~') {
        // ~1.2.3 := <1.3.0; ~1 := <2.0.0.
        bounds.push_back({Op::Ge, low});
        bounds.push_back({Op::Lt, next_after(*partial, n >= 2 ? 2 : 1)});
      } else if (op == Op::Eq && n < 3) {
        // "1.2" and "1.x" are x-ranges: >=1.2.0 <1.3.0.
        bounds.push_back({Op::Ge, low});
        if (n > 0) bounds.push_back({Op::Lt, next_after(*partial, n)});
      } else if (op == Op::Gt && n < 3) {
        bounds.push_back({Op::Ge, next_after(*partial, n)});  // >1.2 := >=1.3.0
      } else if (op == Op::Le && n < 3) {
        bounds.push_back({Op::Lt, next_after(*partial, n)});  // <=1.2 := <1.3.0
      } else {
        bounds.push_back({op, low});
      }
    }
    if (bounds.empty()) return bad("an alternative is empty");
    range.alternatives_.push_back(std::move(bounds));
  }
  if (range.alternatives_.empty()) return bad("it is empty");
  return range;
}

bool Range::matches(const Version& v) const {
  if (!v.prerelease.empty()) return false;
  for (const auto& bounds : alternatives_) {
    bool all = true;
    for (const auto& b : bounds) {
      const auto k = v.key(), bk = b.version.key();
      switch (b.op) {
        case Bound::Op::Ge:
          all = all && k >= bk;
          break;
        case Bound::Op::Gt:
          all = all && k > bk;
          break;
        case Bound::Op::Le:
          all = all && k <= bk;
          break;
        case Bound::Op::Lt:
          all = all && k < bk;
          break;
        case Bound::Op::Eq:
          all = all && k == bk;
          break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace ecrm::config
