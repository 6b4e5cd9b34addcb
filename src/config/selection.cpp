#include "config/selection.hpp"

#include <algorithm>
// GCC 12 warns inside <regex> itself (std::function in its NFA states, -Wmaybe-uninitialized).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <set>

#include "config/semver.hpp"

namespace ecrm::config {
namespace {

Expected<std::regex> compile(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return make_error(ErrorKind::Usage, "regex \"" + pattern + "\" does not compile: " + e.what(),
                      "write an ECMAScript regular expression; it must match the whole tag "
                      "(^ and $ are implied)");
  }
}

Expected<std::vector<std::string>> choose(const Selection& s,
                                          const std::vector<std::string>& available) {
  std::vector<std::regex> allow, deny;
  for (const auto& p : s.allow) {
    auto r = compile(p);
    if (!r) return r.error();
    allow.push_back(std::move(*r));
  }
  for (const auto& p : s.deny) {
    auto r = compile(p);
    if (!r) return r.error();
    deny.push_back(std::move(*r));
  }
  std::optional<Range> range;
  if (!s.semver.empty()) {
    auto parsed = Range::parse(s.semver);
    if (!parsed) return parsed.error();
    range = std::move(*parsed);
  }
  std::vector<std::string> chosen;
  for (const auto& tag : available) {
    bool ok = allow.empty() || std::any_of(allow.begin(), allow.end(), [&](const std::regex& r) {
                return std::regex_match(tag, r);
              });
    if (ok && range) {
      auto version = parse_version(tag);
      ok = version && range->matches(*version);
    }
    ok = ok && std::none_of(deny.begin(), deny.end(),
                            [&](const std::regex& r) { return std::regex_match(tag, r); });
    if (ok) chosen.push_back(tag);
  }
  const bool by_version =
      range || (!chosen.empty() && std::all_of(chosen.begin(), chosen.end(), [](const auto& t) {
        return parse_version(t).has_value();
      }));
  std::sort(chosen.begin(), chosen.end(), [&](const std::string& a, const std::string& b) {
    if (by_version) {
      auto va = parse_version(a), vb = parse_version(b);
      if (va->key() != vb->key() || va->prerelease != vb->prerelease)
        return version_less(*vb, *va);  // newest first
    }
    return natural_less(b, a);
  });
  if (s.latest > 0 && chosen.size() > static_cast<std::size_t>(s.latest))
    chosen.resize(static_cast<std::size_t>(s.latest));
  return chosen;
}

}  // namespace

Status check_selection(const Selection& selection) {
  auto chosen = choose(selection, {});
  if (!chosen) return chosen.error();
  return {};
}

Expected<std::vector<std::string>> select_tags(const std::vector<Selection>& selections,
                                               const std::vector<std::string>& available) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : selections)
    for (const auto& tag : s.tags)
      if (seen.insert(tag).second) out.push_back(tag);
  for (const auto& s : selections) {
    if (!s.by_pattern()) continue;
    auto chosen = choose(s, available);
    if (!chosen) return chosen.error();
    for (auto& tag : *chosen)
      if (seen.insert(tag).second) out.push_back(std::move(tag));
  }
  return out;
}

bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && a[ei] == '0') ++ei;
      while (ej < b.size() && b[ej] == '0') ++ej;
      std::size_t ni = ei, nj = ej;
      while (ni < a.size() && digit(a[ni])) ++ni;
      while (nj < b.size() && digit(b[nj])) ++nj;
      if (ni - ei != nj - ej) return ni - ei < nj - ej;
      auto cmp = a.compare(ei, ni - ei, b, ej, nj - ej);
      if (cmp != 0) return cmp < 0;
      i = ni, j = nj;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace ecrm::config
