#pragma once
// Destination tag templates: "{tag}", "{tag}-{digest12}", "stable-{digest}". Pure.
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::mirror {

struct TagContext {
  std::string tag;         // the source tag; empty when the source was given by digest
  std::string digest_hex;  // 64 hex of the mirrored digest
};

// The context for a source tag and a digest as registries write it ("sha256:<64 hex>").
TagContext tag_context(std::string source_tag, const std::string& digest);

inline const std::vector<std::string> kDefaultTagTemplates = {"{tag}", "{tag}-{digest12}"};

// Checks templates before any network work: unknown placeholder, unbalanced brace, a template
// that needs {tag} while the source has none (source_tag empty), or a result that cannot be a
// valid tag with this source tag (too long, bad characters) → Usage error naming the template.
Status validate_tag_templates(const std::vector<std::string>& templates,
                              std::string_view source_tag);

// Placeholders: {tag}, {digest} (64 hex), {digest12} (first 12 hex). The result must be a valid
// tag ([\w][\w.-]{0,127}); otherwise a Usage error.
Expected<std::string> render_tag(std::string_view tmpl, const TagContext& context);

// Renders all, drops duplicates, and orders them for pushing: templates that contain a digest
// placeholder (immutable tags) first, rolling tags last, each group in the user's order.
Expected<std::vector<std::string>> render_tags(const std::vector<std::string>& templates,
                                               const TagContext& context);

// The tags of the templates without a digest placeholder, rendered from the source tag alone:
// they can be asked for at the destination before the source has said its digest.
Expected<std::vector<std::string>> render_rolling_tags(const std::vector<std::string>& templates,
                                                       std::string_view source_tag);

}  // namespace ecrm::mirror
