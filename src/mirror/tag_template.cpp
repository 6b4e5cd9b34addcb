// Destination tag templates. Templates are checked before any network work so that a typo in
// --tags fails in milliseconds instead of after a multi-gigabyte copy.
#include "mirror/tag_template.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "name/reference.hpp"

namespace ecrm::mirror {
namespace {

// name/reference.hpp is_valid_tag: [\w][\w.-]{0,127} (distribution/reference regexp.go).
constexpr std::size_t kMaxTagLength = 128;
constexpr std::size_t kDigestHexLength = 64;
constexpr std::size_t kShortDigestLength = 12;

const char* const kPlaceholderHint = "placeholders are {tag}, {digest} and {digest12}";

enum class Part { Literal, Tag, Digest, Digest12 };

struct Segment {
  Part part = Part::Literal;
  std::string text;  // only for Literal
};

bool is_tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Non-printable bytes are shown as hex so the message stays readable (and valid UTF-8).
std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return quoted(std::string_view(&c, 1));
  static constexpr char kHexDigits[] = "0123456789abcdef";
  return std::string("byte 0x") + kHexDigits[byte >> 4] + kHexDigits[byte & 0xf];
}

Error template_error(std::string_view tmpl, const std::string& why, std::string hint) {
  return make_error(ErrorKind::Usage, "tag template " + quoted(tmpl) + " " + why, std::move(hint));
}

bool uses(const std::vector<Segment>& segments, Part part) {
  for (const auto& s : segments) {
    if (s.part == part) return true;
  }
  return false;
}

bool uses_digest(const std::vector<Segment>& segments) {
  return uses(segments, Part::Digest) || uses(segments, Part::Digest12);
}

Expected<std::vector<Segment>> parse_template(std::string_view tmpl) {
  if (tmpl.empty()) {
    return template_error(tmpl, "is empty",
                          "remove the empty entry from the tag list or write e.g. '{tag}'");
  }
  std::vector<Segment> segments;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if (c == '}') {
      return template_error(tmpl, "has an unbalanced '}' at position " + std::to_string(i + 1),
                            "write placeholders as {name}; " + std::string(kPlaceholderHint));
    }
    if (c == '{') {
      const std::size_t close = tmpl.find_first_of("{}", i + 1);
      if (close == std::string_view::npos || tmpl[close] == '{') {
        return template_error(tmpl, "has an unbalanced '{' at position " + std::to_string(i + 1),
                              "close the placeholder with '}'; " + std::string(kPlaceholderHint));
      }
      const std::string_view name = tmpl.substr(i + 1, close - i - 1);
      Segment segment;
      if (name == "tag") {
        segment.part = Part::Tag;
      } else if (name == "digest") {
        segment.part = Part::Digest;
      } else if (name == "digest12") {
        segment.part = Part::Digest12;
      } else {
        return template_error(tmpl, "uses the unknown placeholder {" + std::string(name) + "}",
                              std::string(kPlaceholderHint) + " (lower-case)");
      }
      segments.push_back(std::move(segment));
      i = close + 1;
      continue;
    }
    if (!is_tag_char(c)) {
      return template_error(tmpl, "contains " + describe_char(c) + ", which cannot appear in a tag",
                            "tags may contain only letters, digits, '_', '.' and '-'");
    }
    if (segments.empty() || segments.back().part != Part::Literal) segments.push_back({});
    segments.back().text += c;
    ++i;
  }
  return segments;
}

Error needs_tag_error(std::string_view tmpl) {
  return template_error(tmpl, "uses {tag}, but the source image is given by digest only",
                        "add a tag to the source (image:tag@sha256:...) or use templates "
                        "built from {digest}, {digest12} and fixed text");
}

// What can be decided without the values: a fixed first character, and the shortest rendering
// ({tag} is at least 1 character).
Status check_can_be_valid(std::string_view tmpl, const std::vector<Segment>& segments) {
  const Segment& first = segments.front();
  if (first.part == Part::Literal && (first.text[0] == '.' || first.text[0] == '-')) {
    return template_error(tmpl, "starts with " + quoted(first.text.substr(0, 1)),
                          "a tag must start with a letter, digit or '_'");
  }
  std::size_t shortest = 0;
  for (const auto& s : segments) {
    switch (s.part) {
      case Part::Literal:
        shortest += s.text.size();
        break;
      case Part::Tag:
        shortest += 1;
        break;
      case Part::Digest:
        shortest += kDigestHexLength;
        break;
      case Part::Digest12:
        shortest += kShortDigestLength;
        break;
    }
  }
  if (shortest > kMaxTagLength) {
    return template_error(tmpl,
                          "always renders at least " + std::to_string(shortest) +
                              " characters; a tag has at most " + std::to_string(kMaxTagLength),
                          "shorten the fixed text or use {digest12} instead of {digest}");
  }
  return {};
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string why_invalid_tag(std::string_view tag) {
  if (tag.size() > kMaxTagLength) {
    return "it is " + std::to_string(tag.size()) + " characters long (at most " +
           std::to_string(kMaxTagLength) + ")";
  }
  if (tag.front() == '.' || tag.front() == '-') return "it starts with " + quoted(tag.substr(0, 1));
  return "it contains characters other than letters, digits, '_', '.' and '-'";
}

}  // namespace

Status validate_tag_templates(const std::vector<std::string>& templates,
                              std::string_view source_tag) {
  const bool source_has_tag = !source_tag.empty();
  if (templates.empty()) {
    return make_error(ErrorKind::Usage, "no destination tag templates were given",
                      "give at least one, e.g. '{tag}' or '{tag}-{digest12}'");
  }
  for (const auto& tmpl : templates) {
    auto segments = parse_template(tmpl);
    if (!segments) return segments.error();
    if (!source_has_tag && uses(*segments, Part::Tag)) return needs_tag_error(tmpl);
    if (auto status = check_can_be_valid(tmpl, *segments); !status) return status;
    // The source tag is known now and a digest is always 64 hex, so the rendered length and
    // characters can be checked before any request (a 126-character prefix plus {tag}).
    if (source_has_tag || !uses(*segments, Part::Tag)) {
      auto rendered =
          render_tag(tmpl, TagContext{std::string(source_tag), std::string(kDigestHexLength, '0')});
      if (!rendered) return rendered.error();
    }
  }
  return {};
}

Expected<std::string> render_tag(std::string_view tmpl, const TagContext& context) {
  auto segments = parse_template(tmpl);
  if (!segments) return segments.error();
  if (uses_digest(*segments) &&
      (context.digest_hex.size() != kDigestHexLength || !is_lower_hex(context.digest_hex))) {
    return make_error(ErrorKind::Internal,
                      "tag template " + quoted(tmpl) + " was rendered without a valid digest");
  }
  std::string out;
  for (const auto& s : *segments) {
    switch (s.part) {
      case Part::Literal:
        out += s.text;
        break;
      case Part::Tag:
        if (context.tag.empty()) return needs_tag_error(tmpl);
        out += context.tag;
        break;
      case Part::Digest:
        out += context.digest_hex;
        break;
      case Part::Digest12:
        out += context.digest_hex.substr(0, kShortDigestLength);
        break;
    }
  }
  if (!name::is_valid_tag(out)) {
    return template_error(
        tmpl, "renders " + quoted(out) + ", which is not a valid tag: " + why_invalid_tag(out),
        "change the template so the tag is 1-128 of [A-Za-z0-9_.-] and does "
        "not start with '.' or '-'");
  }
  return out;
}

Expected<std::vector<std::string>> render_tags(const std::vector<std::string>& templates,
                                               const TagContext& context) {
  // Digest-bearing tags are immutable: pushing them first means a run that dies half-way has
  // still published the content under a name that never moves before any rolling tag points
  // at it.
  std::vector<std::string> immutable;
  std::vector<std::string> rolling;
  for (const auto& tmpl : templates) {
    auto rendered = render_tag(tmpl, context);
    if (!rendered) return rendered.error();
    auto segments = parse_template(tmpl);
    (uses_digest(*segments) ? immutable : rolling).push_back(std::move(*rendered));
  }
  std::vector<std::string> ordered;
  std::set<std::string> seen;
  for (auto* group : {&immutable, &rolling}) {
    for (auto& tag : *group) {
      if (seen.insert(tag).second) ordered.push_back(std::move(tag));
    }
  }
  return ordered;
}

TagContext tag_context(std::string source_tag, const std::string& digest) {
  return TagContext{std::move(source_tag), digest.substr(digest.find(':') + 1)};
}

Expected<std::vector<std::string>> render_rolling_tags(const std::vector<std::string>& templates,
                                                       std::string_view source_tag) {
  std::vector<std::string> rolling;
  std::set<std::string> seen;
  const TagContext context{std::string(source_tag), std::string()};
  for (const auto& tmpl : templates) {
    auto segments = parse_template(tmpl);
    if (!segments) return segments.error();
    if (uses_digest(*segments)) continue;
    auto rendered = render_tag(tmpl, context);
    if (!rendered) return rendered.error();
    if (seen.insert(*rendered).second) rolling.push_back(std::move(*rendered));
  }
  return rolling;
}

}  // namespace ecrm::mirror
