#include "oci/manifest.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "util/json.hpp"

using ecrm::ErrorKind;
using ecrm::oci::Descriptor;
using ecrm::oci::Manifest;
using ecrm::oci::Platform;
namespace media = ecrm::oci::media;
namespace oci = ecrm::oci;

namespace {

std::string digest_of(char c) {
  return "sha256:" + std::string(64, c);
}

// Fixtures name digests as {a}, {b}, …: replaced by "sha256:aaaa…" so the JSON stays readable.
std::string fill(std::string text) {
  for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at + 1)) {
    if (at + 2 < text.size() && text[at + 2] == '}' && text[at + 1] >= 'a' && text[at + 1] <= 'f') {
      text.replace(at, 3, digest_of(text[at + 1]));
    }
  }
  return text;
}

// What `docker buildx build --platform linux/amd64,linux/arm64 --push` writes: two images plus
// one attestation manifest per image.
const std::string kBuildxIndex = fill(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{a}", "size": 1611,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{b}", "size": 1612,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{c}", "size": 566,
     "annotations": {"vnd.docker.reference.digest": "{a}",
                     "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{d}", "size": 566,
     "annotations": {"vnd.docker.reference.digest": "{b}",
                     "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}}
  ],
  "annotations": {"org.opencontainers.image.created": "2024-05-01T00:00:00Z"}
})");

const std::string kDockerList = fill(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "{a}", "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "{b}", "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
     "digest": "{c}", "platform": {"architecture": "arm64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 1125,
     "digest": "{d}", "platform": {"architecture": "amd64", "os": "windows",
                                   "os.version": "10.0.17763.5820"}}
  ]
})");

const std::string kDockerManifest = fill(R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1472,
             "digest": "{a}"},
  "layers": [
    {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3408729,
     "digest": "{b}"},
    {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 0,
     "digest": "{c}"}
  ]
})");

// No mediaType anywhere (allowed by image-spec 1.0) and a subject (image-spec 1.1 referrers).
const std::string kOciManifestNoMediaType = fill(R"({
  "schemaVersion": 2,
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 7023,
             "digest": "{e}"},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 32654,
              "digest": "{f}"}],
  "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 7682,
              "digest": "{a}"}
})");

Manifest parse_ok(const std::string& bytes, std::string_view content_type = "") {
  auto parsed = oci::parse_manifest(bytes, content_type);
  if (!parsed) INFO("error: " << parsed.error().message);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

ecrm::Error parse_error(const std::string& bytes, std::string_view content_type = "") {
  auto parsed = oci::parse_manifest(bytes, content_type);
  INFO("input: " << bytes);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

Platform platform(std::string_view text) {
  auto parsed = oci::parse_platform(text);
  REQUIRE(parsed.ok());
  return *parsed;
}

std::vector<std::string> child_digests(const std::string& index_json) {
  auto parsed = oci::parse_manifest(index_json, "");
  REQUIRE(parsed.ok());
  std::vector<std::string> digests;
  for (const Descriptor& child : parsed->manifests) digests.push_back(child.digest);
  return digests;
}

}  // namespace

TEST_CASE("media type helpers", "[manifest]") {
  CHECK(oci::manifest_accept_header() ==
        "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,"
        "application/vnd.docker.distribution.manifest.list.v2+json,"
        "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(oci::is_index_media_type(media::kOciIndex));
  CHECK(oci::is_index_media_type(media::kDockerList));
  CHECK_FALSE(oci::is_index_media_type(media::kOciManifest));
  CHECK(oci::is_image_media_type(media::kOciManifest));
  CHECK(oci::is_image_media_type(
      "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"));
  CHECK_FALSE(oci::is_image_media_type(media::kDockerList));
  CHECK_FALSE(oci::is_image_media_type("application/json"));
  CHECK(oci::is_schema1_media_type(media::kDockerSchema1));
  CHECK(oci::is_schema1_media_type(media::kDockerSchema1Signed));
  CHECK_FALSE(oci::is_schema1_media_type(media::kDockerManifest));
}

TEST_CASE("a buildx index parses with platforms and attestation annotations", "[manifest]") {
  Manifest index = parse_ok(kBuildxIndex, "application/vnd.oci.image.index.v1+json");
  CHECK(index.kind == Manifest::Kind::Index);
  CHECK(index.media_type == media::kOciIndex);
  CHECK(index.blobs().empty());
  REQUIRE(index.manifests.size() == 4);
  const Descriptor& amd64 = index.manifests[0];
  CHECK(amd64.digest == digest_of('a'));
  CHECK(amd64.size == 1611);
  CHECK(amd64.media_type == media::kOciManifest);
  REQUIRE(amd64.platform.has_value());
  CHECK(amd64.platform->str() == "linux/amd64");
  CHECK(amd64.reference_digest.empty());
  CHECK(index.manifests[1].platform->variant == "v8");
  CHECK(index.manifests[1].platform->str() == "linux/arm64/v8");
  CHECK(index.manifests[2].platform->str() == "unknown/unknown");
  CHECK(index.manifests[2].reference_digest == digest_of('a'));
  CHECK(index.manifests[2].reference_type == "attestation-manifest");
  CHECK(index.manifests[3].reference_digest == digest_of('b'));
  CHECK_FALSE(index.subject.has_value());
}

TEST_CASE("a Docker manifest list keeps os.version", "[manifest]") {
  Manifest list =
      parse_ok(kDockerList, "application/vnd.docker.distribution.manifest.list.v2+json");
  CHECK(list.kind == Manifest::Kind::Index);
  CHECK(list.media_type == media::kDockerList);
  REQUIRE(list.manifests.size() == 4);
  CHECK(list.manifests[1].platform->str() == "linux/arm/v7");
  CHECK(list.manifests[3].platform->os_version == "10.0.17763.5820");
  CHECK(list.manifests[3].platform->str() == "windows/amd64");
}

TEST_CASE("a Docker v2 manifest lists its blobs config first", "[manifest]") {
  Manifest image =
      parse_ok(kDockerManifest, "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(image.kind == Manifest::Kind::Image);
  CHECK(image.media_type == media::kDockerManifest);
  REQUIRE(image.config.has_value());
  CHECK(image.config->media_type == "application/vnd.docker.container.image.v1+json");
  auto blobs = image.blobs();
  REQUIRE(blobs.size() == 3);
  CHECK(blobs[0].digest == digest_of('a'));
  CHECK(blobs[1].digest == digest_of('b'));
  CHECK(blobs[1].size == 3408729);
  CHECK(blobs[2].size == 0);
}

TEST_CASE("media type: Content-Type, then mediaType, then the shape", "[manifest]") {
  // Content-Type with parameters and odd case still counts.
  CHECK(parse_ok(kDockerManifest,
                 "Application/VND.docker.distribution.manifest.v2+json; charset=utf-8")
            .media_type == media::kDockerManifest);
  // A generic Content-Type falls back to the body.
  CHECK(parse_ok(kDockerList, "application/json").media_type == media::kDockerList);
  CHECK(parse_ok(kBuildxIndex, "").media_type == media::kOciIndex);
  // Neither: inferred from the fields.
  Manifest inferred = parse_ok(kOciManifestNoMediaType, "text/plain");
  CHECK(inferred.media_type == media::kOciManifest);
  CHECK(inferred.kind == Manifest::Kind::Image);
  REQUIRE(inferred.subject.has_value());
  CHECK(inferred.subject->digest == digest_of('a'));
  CHECK(inferred.subject->size == 7682);
  Manifest inferred_index = parse_ok(fill(R"({"schemaVersion":2,"manifests":[]})"));
  CHECK(inferred_index.kind == Manifest::Kind::Index);
  CHECK(inferred_index.media_type == media::kOciIndex);
}

TEST_CASE("an index whose child is another index", "[manifest]") {
  const std::string nested = fill(R"({"schemaVersion":2,
    "mediaType":"application/vnd.oci.image.index.v1+json",
    "manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{f}","size":312}],
    "subject":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{e}","size":10}})");
  Manifest index = parse_ok(nested);
  REQUIRE(index.manifests.size() == 1);
  CHECK(oci::is_index_media_type(index.manifests[0].media_type));
  CHECK_FALSE(index.manifests[0].platform.has_value());
  REQUIRE(index.subject.has_value());
  CHECK(index.subject->digest == digest_of('e'));
}

TEST_CASE("schema 1 is refused with a hint to re-push", "[manifest]") {
  const std::string schema1 = R"({"schemaVersion":1,"name":"x","tag":"t","fsLayers":[]})";
  for (const auto& error :
       {parse_error(schema1), parse_error("{}", media::kDockerSchema1),
        parse_error("{}", media::kDockerSchema1Signed),
        parse_error(R"({"mediaType":"application/vnd.docker.distribution.manifest.v1+json"})")}) {
    CHECK(error.kind == ErrorKind::Integrity);
    CHECK(error.message == "schema 1 manifests are deprecated and not supported");
    CHECK(contains(error.hint, "buildx"));
  }
}

TEST_CASE("malformed manifests are Integrity errors naming the field", "[manifest]") {
  struct Case {
    std::string json;
    std::string expected;
  };
  const Case cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"schemaVersion":3,"manifests":[]})", "schemaVersion"},
      {R"({"schemaVersion":"2","manifests":[]})", "schemaVersion"},
      {R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json"})",
       "unsupported manifest media type"},
      {R"({"mediaType":7,"manifests":[]})", "mediaType must be a string"},
      {R"({"schemaVersion":2})", "cannot tell"},
      {R"({"mediaType":"application/vnd.oci.image.index.v1+json"})", "manifests is missing"},
      {R"({"manifests":{}})", "manifests is missing or not an array"},
      {R"({"manifests":["x"]})", "manifests[0] must be an object"},
      {R"({"manifests":[{"mediaType":"m","size":1}]})", "manifests[0].digest is missing"},
      {R"({"manifests":[{"mediaType":"m","size":1,"digest":42}]})",
       "manifests[0].digest is missing or not a string"},
      {R"({"manifests":[{"mediaType":"m","size":1,"digest":"sha256:abc"}]})", "64 lower-case hex"},
      {R"({"manifests":[{"mediaType":"m","size":1,"digest":"sha256:)" + std::string(64, 'A') +
           R"("}]})",
       "64 lower-case hex"},
      {R"({"manifests":[{"mediaType":"m","size":1,"digest":"sha512:)" + std::string(128, 'a') +
           R"("}]})",
       "unsupported algorithm \"sha512\""},
      {R"({"manifests":[{"mediaType":"m","size":1,"digest":"nocolon"}]})", "not algorithm:hex"},
      {fill(R"({"manifests":[{"mediaType":"m","digest":"{a}"}]})"), "manifests[0].size"},
      {fill(R"({"manifests":[{"mediaType":"m","size":-1,"digest":"{a}"}]})"), "non-negative"},
      {fill(R"({"manifests":[{"mediaType":"m","size":1.5,"digest":"{a}"}]})"), "size"},
      {fill(R"({"manifests":[{"mediaType":"m","size":"12","digest":"{a}"}]})"), "size"},
      {fill(R"({"manifests":[{"size":1,"digest":"{a}"}]})"), "manifests[0].mediaType"},
      {fill(R"({"manifests":[{"mediaType":1,"size":1,"digest":"{a}"}]})"), "mediaType"},
      {fill(R"({"manifests":[{"mediaType":"m","size":1,"digest":"{a}","platform":"linux"}]})"),
       "platform must be an object"},
      {fill(
           R"({"manifests":[{"mediaType":"m","size":1,"digest":"{a}","platform":{"os":"linux"}}]})"),
       "platform.architecture"},
      {fill(
           R"({"manifests":[{"mediaType":"m","size":1,"digest":"{a}","platform":{"os":"linux","architecture":"arm","variant":7}}]})"),
       "platform.variant must be a string"},
      {fill(R"({"manifests":[{"mediaType":"m","size":1,"digest":"{a}","annotations":[]}]})"),
       "annotations must be an object"},
      {fill(R"({"manifests":[{"mediaType":"m","size":1,"digest":"{a}","annotations":{"k":1}}]})"),
       "annotations[\"k\"]"},
      {fill(
           R"({"config":{"mediaType":"m","size":1,"digest":"{a}"},"layers":[{"mediaType":"m","size":1}]})"),
       "layers[0].digest"},
      {fill(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})"),
       "config is missing"},
      {fill(
           R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"m","size":1,"digest":"{a}"}})"),
       "layers is missing"},
      {fill(R"({"manifests":[],"subject":{"mediaType":"m","size":1}})"), "subject.digest"},
  };
  for (const Case& c : cases) {
    auto error = parse_error(c.json);
    INFO("message: " << error.message);
    CHECK(error.kind == ErrorKind::Integrity);
    CHECK(contains(error.message, c.expected));
  }
  // A body whose mediaType contradicts the Content-Type it is served with names both.
  {
    auto mismatch = parse_error(kDockerManifest, media::kOciIndex);
    CHECK(contains(mismatch.message, std::string(media::kOciIndex)));
    CHECK(contains(mismatch.message, std::string(media::kDockerManifest)));
    CHECK_FALSE(mismatch.hint.empty());
  }
}

TEST_CASE("messages quote at most a short piece of the manifest", "[manifest]") {
  const std::string long_digest = "sha256:" + std::string(100000, 'a');
  auto error = parse_error(R"({"manifests":[{"mediaType":"m","size":1,"digest":")" + long_digest +
                           R"("}]})");
  CHECK(contains(error.message, "64 lower-case hex"));
  CHECK(error.message.size() < 300);
}

TEST_CASE("oversized manifests are refused before parsing", "[manifest]") {
  std::string huge = "{\"pad\":\"" + std::string(oci::kMaxManifestBytes, 'x') + "\"}";
  auto error = parse_error(huge);
  CHECK(error.kind == ErrorKind::Integrity);
  CHECK(contains(error.message, "limit"));
}

TEST_CASE("parse_platform and Platform::str", "[manifest][platform]") {
  CHECK(platform("linux/amd64") == Platform{"linux", "amd64", "", ""});
  CHECK(platform("linux/arm64/v8") == Platform{"linux", "arm64", "v8", ""});
  CHECK(platform(" Linux/ARM/v7 ").str() == "linux/arm/v7");
  CHECK(platform("linux/x86_64").architecture == "amd64");
  CHECK(platform("linux/aarch64").architecture == "arm64");
  CHECK(platform("windows/amd64").str() == "windows/amd64");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "linux/arm/v7/x", "linux//v7",
                          "linux/amd 64", "linux\\amd64"}) {
    INFO("input: " << bad);
    auto parsed = oci::parse_platform(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::Usage);
    CHECK(contains(parsed.error().hint, "linux/amd64"));
  }
}

TEST_CASE("platform_matches", "[manifest][platform]") {
  Platform arm64_v8{"linux", "arm64", "v8", ""};
  Platform arm64_bare{"linux", "arm64", "", ""};
  Platform arm_v7{"linux", "arm", "v7", ""};
  Platform arm_v6{"linux", "arm", "v6", ""};
  CHECK(oci::platform_matches(platform("linux/arm64"), arm64_v8));
  CHECK(oci::platform_matches(platform("linux/arm64/v8"), arm64_v8));
  CHECK(oci::platform_matches(platform("linux/arm64/v8"), arm64_bare));  // arm64's default
  CHECK_FALSE(oci::platform_matches(platform("linux/arm64/v9"), arm64_bare));
  CHECK(oci::platform_matches(platform("linux/arm"), arm_v6));
  CHECK(oci::platform_matches(platform("linux/arm/v7"), arm_v7));
  CHECK_FALSE(oci::platform_matches(platform("linux/arm/v7"), arm_v6));
  CHECK_FALSE(oci::platform_matches(platform("linux/amd64"), Platform{"windows", "amd64", "", ""}));
  CHECK_FALSE(oci::platform_matches(platform("linux/amd64"), arm64_v8));
  CHECK(oci::platform_matches(platform("windows/amd64"),
                              Platform{"windows", "amd64", "", "10.0.17763.5820"}));
}

TEST_CASE("filter_index keeps matching images and their attestations", "[manifest][filter]") {
  auto filtered = oci::filter_index(kBuildxIndex, {platform("linux/arm64")});
  REQUIRE(filtered.ok());
  CHECK(child_digests(*filtered) == std::vector<std::string>{digest_of('b'), digest_of('d')});
  // Other fields and member order survive; the output is compact JSON.
  auto root = ecrm::util::Json::parse(*filtered);
  REQUIRE(root.ok());
  REQUIRE(root->members().size() == 4);
  CHECK(root->members()[0].first == "schemaVersion");
  CHECK(root->members()[1].first == "mediaType");
  CHECK(root->members()[2].first == "manifests");
  CHECK(root->members()[3].first == "annotations");
  CHECK(contains(*filtered,
                 R"("annotations":{"org.opencontainers.image.created":"2024-05-01T00:00:00Z"})"));
  CHECK(contains(*filtered, R"("vnd.docker.reference.type":"attestation-manifest")"));
  CHECK_FALSE(contains(*filtered, "\n"));

  auto both =
      oci::filter_index(kBuildxIndex, {platform("linux/amd64"), platform("linux/arm64/v8")});
  REQUIRE(both.ok());
  CHECK(child_digests(*both) ==
        std::vector<std::string>{digest_of('a'), digest_of('b'), digest_of('c'), digest_of('d')});

  auto amd64 = oci::filter_index(kBuildxIndex, {platform("linux/amd64")});
  REQUIRE(amd64.ok());
  CHECK(child_digests(*amd64) == std::vector<std::string>{digest_of('a'), digest_of('c')});
}

TEST_CASE("filter_index on a Docker manifest list", "[manifest][filter]") {
  auto filtered =
      oci::filter_index(kDockerList, {platform("linux/arm/v7"), platform("linux/arm64/v8")});
  REQUIRE(filtered.ok());
  CHECK(child_digests(*filtered) == std::vector<std::string>{digest_of('b'), digest_of('c')});
  CHECK(contains(*filtered,
                 R"("mediaType":"application/vnd.docker.distribution.manifest.list.v2+json")"));
  // Asking for nothing changes nothing: the same bytes, so the same digest.
  auto unchanged = oci::filter_index(kDockerList, {});
  REQUIRE(unchanged.ok());
  CHECK(*unchanged == kDockerList);
}

TEST_CASE("filter_index errors", "[manifest][filter]") {
  auto none = oci::filter_index(kBuildxIndex, {platform("linux/s390x"), platform("linux/arm/v7")});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::Usage);
  CHECK(contains(none.error().message, "linux/s390x, linux/arm/v7"));
  CHECK(contains(none.error().message, "offers: linux/amd64, linux/arm64/v8"));
  CHECK_FALSE(contains(none.error().message, "unknown"));
  CHECK_FALSE(none.error().hint.empty());

  // An attestation alone never counts as a match.
  CHECK_FALSE(oci::filter_index(kBuildxIndex, {platform("unknown/unknown")}).ok());

  auto not_index = oci::filter_index(kDockerManifest, {platform("linux/amd64")});
  REQUIRE_FALSE(not_index.ok());
  CHECK(not_index.error().kind == ErrorKind::Integrity);
  auto bad = oci::filter_index("{", {platform("linux/amd64")});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::Integrity);
}
