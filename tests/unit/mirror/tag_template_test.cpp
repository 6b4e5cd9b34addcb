#include "mirror/tag_template.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using ecrm::ErrorKind;
using ecrm::mirror::kDefaultTagTemplates;
using ecrm::mirror::render_rolling_tags;
using ecrm::mirror::render_tag;
using ecrm::mirror::render_tags;
using ecrm::mirror::tag_context;
using ecrm::mirror::TagContext;
using ecrm::mirror::validate_tag_templates;

namespace {

const std::string kDigestHex = "3dcb059253b2ebb44de3936620e1cff3dadcd2c1c982d579081ca8128c1eb319";

TagContext noble() {
  return TagContext{"noble", kDigestHex};
}
TagContext by_digest() {
  return TagContext{"", kDigestHex};
}

struct BadTemplate {
  std::string tmpl;
  std::string message_part;
};

}  // namespace

TEST_CASE("default templates render the tag and tag-digest12", "[tag_template]") {
  auto tags = render_tags(kDefaultTagTemplates, noble());
  REQUIRE(tags.ok());
  // Immutable (digest-bearing) tags first, the rolling tag last.
  CHECK(*tags == std::vector<std::string>{"noble-3dcb059253b2", "noble"});
  CHECK(validate_tag_templates(kDefaultTagTemplates, "noble").ok());
}

TEST_CASE("render_tag substitutes each placeholder", "[tag_template]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{tag}", "noble"},
      {"{digest12}", "3dcb059253b2"},
      {"{digest}", kDigestHex},
      {"stable-{digest}", "stable-" + kDigestHex},
      {"{tag}-{digest12}", "noble-3dcb059253b2"},
      {"{tag}{tag}", "noblenoble"},
      {"mirror_{tag}.v2", "mirror_noble.v2"},
      {"latest", "latest"},
      {"_x-{digest12}", "_x-3dcb059253b2"},
  };
  for (const auto& [tmpl, expected] : cases) {
    INFO("template: " << tmpl);
    auto rendered = render_tag(tmpl, noble());
    REQUIRE(rendered.ok());
    CHECK(*rendered == expected);
  }
}

TEST_CASE("malformed templates are Usage errors naming the template", "[tag_template]") {
  const std::vector<BadTemplate> cases = {
      {"", "is empty"},
      {"{sha}", "unknown placeholder {sha}"},
      {"{Tag}", "unknown placeholder {Tag}"},
      {"{}", "unknown placeholder {}"},
      {"{tag", "unbalanced '{'"},
      {"{{tag}}", "unbalanced '{'"},
      {"tag}", "unbalanced '}'"},
      {"v1-{tag}}", "unbalanced '}'"},
      {"a{b{c}", "unbalanced '{'"},
      {"v1 {tag}", "' '"},
      {"v1/{tag}", "'/'"},
      {"v1:{tag}", "':'"},
      {"caf\xc3\xa9", "byte 0xc3"},
      {".{tag}", "starts with '.'"},
      {"-{digest12}", "starts with '-'"},
      {"{digest}-{digest}-x", "at least 131"},
      {std::string(129, 'a'), "at least 129"},
  };
  for (const auto& c : cases) {
    INFO("template: " << c.tmpl);
    auto status = validate_tag_templates({"{tag}", c.tmpl}, "noble");
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == ErrorKind::Usage);
    CHECK_THAT(status.error().message, Catch::Contains("'" + c.tmpl + "'"));
    CHECK_THAT(status.error().message, Catch::Contains(c.message_part));
    CHECK_FALSE(status.error().hint.empty());

    // render_tag refuses the same templates.
    auto rendered = render_tag(c.tmpl, noble());
    REQUIRE_FALSE(rendered.ok());
    CHECK(rendered.error().kind == ErrorKind::Usage);
  }
}

TEST_CASE("templates needing {tag} fail when the source has no tag", "[tag_template]") {
  auto status = validate_tag_templates(kDefaultTagTemplates, "");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::Usage);
  CHECK_THAT(status.error().message, Catch::Contains("'{tag}'"));
  CHECK_THAT(status.error().message, Catch::Contains("digest only"));

  CHECK(validate_tag_templates({"stable-{digest12}", "{digest}", "pinned"}, "").ok());

  auto rendered = render_tag("{tag}-{digest12}", by_digest());
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().kind == ErrorKind::Usage);
  CHECK_THAT(rendered.error().message, Catch::Contains("{tag}-{digest12}"));

  auto all = render_tags({"{digest12}", "{tag}"}, by_digest());
  REQUIRE_FALSE(all.ok());
}

TEST_CASE("an empty template list is rejected by validation", "[tag_template]") {
  auto status = validate_tag_templates({}, "noble");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::Usage);
  auto none = render_tags({}, noble());
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("rendered results that are not valid tags are errors", "[tag_template]") {
  // 128 characters is the limit: "{tag}-{digest}" with a 63-char tag is 128, with 64 it is 129.
  const std::string tag63(63, 't');
  auto at_limit = render_tag("{tag}-{digest}", TagContext{tag63, kDigestHex});
  REQUIRE(at_limit.ok());
  CHECK(at_limit->size() == 128);

  auto too_long = render_tag("{tag}-{digest}", TagContext{tag63 + "t", kDigestHex});
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().kind == ErrorKind::Usage);
  CHECK_THAT(too_long.error().message, Catch::Contains("'{tag}-{digest}'"));
  CHECK_THAT(too_long.error().message, Catch::Contains("129 characters"));

  // Validation renders with the real tag, so the same combination is caught up front.
  CHECK_FALSE(validate_tag_templates({"{tag}-{digest}"}, tag63 + "t").ok());
  CHECK(validate_tag_templates({"{tag}-{digest}"}, tag63).ok());

  // Context values the template cannot control: a tag with a bad character.
  auto bad_char = render_tag("x-{tag}", TagContext{"a/b", kDigestHex});
  REQUIRE_FALSE(bad_char.ok());
  CHECK_THAT(bad_char.error().message, Catch::Contains("'x-a/b'"));
}

TEST_CASE("render_tag without a valid digest is an internal error", "[tag_template]") {
  auto missing = render_tag("{digest12}", TagContext{"noble", ""});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::Internal);
  auto upper = render_tag("{digest}", TagContext{"noble", std::string(64, 'A')});
  REQUIRE_FALSE(upper.ok());
  CHECK(upper.error().kind == ErrorKind::Internal);
  // A digest is not needed by templates that do not use it.
  auto tag_only = render_tag("{tag}", TagContext{"noble", ""});
  REQUIRE(tag_only.ok());
  CHECK(*tag_only == "noble");
}

TEST_CASE("render_tags orders immutable first and drops duplicates", "[tag_template]") {
  const std::vector<std::string> templates = {"{tag}", "latest",          "{tag}-{digest12}",
                                              "noble", "sha-{digest}",    "{digest12}",
                                              "{tag}", "{tag}-{digest12}"};
  auto tags = render_tags(templates, noble());
  REQUIRE(tags.ok());
  CHECK(*tags == std::vector<std::string>{"noble-3dcb059253b2", "sha-" + kDigestHex, "3dcb059253b2",
                                          "noble", "latest"});

  // A fixed template equal to a digest-bearing one keeps its first (immutable) position.
  auto same = render_tags({"3dcb059253b2", "{digest12}"}, noble());
  REQUIRE(same.ok());
  CHECK(*same == std::vector<std::string>{"3dcb059253b2"});

  // One bad template fails the whole set.
  auto bad = render_tags({"{tag}", "{sha}"}, noble());
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("{sha}"));
}

TEST_CASE("tag_context takes the hex of a registry digest", "[tag_template]") {
  auto context = tag_context("noble", "sha256:" + kDigestHex);
  CHECK(context.tag == "noble");
  CHECK(context.digest_hex == kDigestHex);
  auto tags = render_tags(kDefaultTagTemplates, context);
  REQUIRE(tags.ok());
  CHECK(*tags == std::vector<std::string>{"noble-3dcb059253b2", "noble"});
}

TEST_CASE("render_rolling_tags renders only the templates without a digest", "[tag_template]") {
  auto rolling = render_rolling_tags(
      {"{tag}-{digest12}", "{tag}", "latest", "sha-{digest}", "{tag}"}, "noble");
  REQUIRE(rolling.ok());
  CHECK(*rolling == std::vector<std::string>{"noble", "latest"});
  auto none = render_rolling_tags({"{digest12}"}, "");
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto bad = render_rolling_tags({"{tag}", "{sha}"}, "noble");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("{sha}"));
}

TEST_CASE("validation renders with the real source tag, so length errors come before any request",
          "[tag_template]") {
  const std::string tag120(120, 'a');
  auto status = validate_tag_templates({"{tag}-{digest12}"}, tag120);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ecrm::ErrorKind::Usage);
  CHECK(validate_tag_templates({"{tag}"}, tag120).ok());
  const std::string prefix126(126, 'x');
  CHECK_FALSE(validate_tag_templates({prefix126 + "{tag}"}, "1.0").ok());
  CHECK(validate_tag_templates({prefix126 + "{tag}"}, "1").ok());
}
