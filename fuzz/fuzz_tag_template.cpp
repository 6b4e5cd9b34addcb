// Fuzzes the destination tag templates (mirror::validate_tag_templates, render_tag, render_tags):
// --tags is user input, and a rendered tag goes into a manifest PUT URL. Input layout: the first
// line is the source tag (empty: source given by digest), each further line a template. A first
// line starting with '!' takes the digest from the next 64 bytes instead of a valid one, to reach
// the internal check.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "mirror/tag_template.hpp"
#include "name/reference.hpp"

using namespace ecrm;

namespace {

constexpr std::string_view kDigestHex =
    "3dcb059253b2e4a1f0c2d2c3b6a7e8f90123456789abcdef0123456789abcdef";

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (lines.size() < 16) {
    const std::size_t newline = text.find('\n');
    lines.emplace_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

bool uses_digest(std::string_view tmpl) {
  return tmpl.find("{digest}") != std::string_view::npos ||
         tmpl.find("{digest12}") != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> lines = lines_of({reinterpret_cast<const char*>(data), size});
  mirror::TagContext context;
  context.digest_hex = std::string(kDigestHex);
  std::string first = lines.front();
  if (!first.empty() && first.front() == '!') {
    context.digest_hex = first.substr(1, 64);
    first = first.size() > 65 ? first.substr(65) : std::string();
  }
  context.tag = first;
  const bool valid_context =
      context.digest_hex == kDigestHex && (context.tag.empty() || name::is_valid_tag(context.tag));
  const std::vector<std::string> templates(lines.begin() + 1, lines.end());

  const Status valid = mirror::validate_tag_templates(templates, context.tag);
  if (!valid) FUZZ_CHECK(valid.error().kind == ErrorKind::Usage);

  for (const auto& tmpl : templates) {
    const auto tag = mirror::render_tag(tmpl, context);
    if (tag) {
      FUZZ_CHECK(name::is_valid_tag(*tag));
      // What the PUT and the outputs name: the tag must fit a reference.
      const auto reference = name::parse_reference("registry.example.com/mirror:" + *tag);
      FUZZ_CHECK(reference.ok() && reference->tag == *tag);
    }
    // Validation knows the source tag and that a digest is 64 hex: what it accepted renders.
    if (valid && valid_context) FUZZ_CHECK(tag.ok());
  }

  const auto tags = mirror::render_tags(templates, context);
  if (!tags) return 0;
  // Whatever renders for a consistent context was accepted by validation first.
  if (valid_context && !templates.empty()) FUZZ_CHECK(valid.ok());
  FUZZ_CHECK(tags->size() <= templates.size());
  std::set<std::string> unique(tags->begin(), tags->end());
  FUZZ_CHECK(unique.size() == tags->size());
  // Immutable (digest-bearing) tags come before rolling ones.
  std::set<std::string> immutable;
  for (const auto& tmpl : templates) {
    if (uses_digest(tmpl)) immutable.insert(*mirror::render_tag(tmpl, context));
  }
  bool seen_rolling = false;
  for (const auto& tag : *tags) {
    FUZZ_CHECK(name::is_valid_tag(tag));
    if (immutable.count(tag) == 0) {
      seen_rolling = true;
    } else {
      FUZZ_CHECK(!seen_rolling);
    }
  }
  return 0;
}
