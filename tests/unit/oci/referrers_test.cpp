#include "oci/referrers.hpp"

#include <catch2/catch.hpp>

#include "util/json.hpp"

using namespace ecrm;

namespace {

const std::string kHex(64, 'a');
const std::string kSubject = "sha256:" + kHex;
const std::string kOther = "sha256:" + std::string(64, 'b');
const std::string kThird = "sha256:" + std::string(64, 'c');

std::string artifact(const std::string& artifact_type, const std::string& config_type) {
  std::string json =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)";
  if (!artifact_type.empty()) json += R"("artifactType":")" + artifact_type + R"(",)";
  json +=
      R"("config":{"mediaType":")" + config_type + R"(","digest":")" + kOther +
      R"(","size":2},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":")" +
      kThird +
      R"(","size":10}],"subject":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" +
      kSubject + R"(","size":100},"annotations":{"k":"v","a":"b"}})";
  return json;
}

}  // namespace

TEST_CASE("the referrers tag schema names a subject sha256-<hex>", "[referrers]") {
  CHECK(oci::referrers_tag(kSubject) == "sha256-" + kHex);
  CHECK(oci::cosign_tag(kSubject, "sig") == "sha256-" + kHex + ".sig");
}

TEST_CASE("subject tags are recognised, anything else is not", "[referrers]") {
  auto schema = oci::parse_subject_tag("sha256-" + kHex);
  REQUIRE(schema);
  CHECK(schema->subject_digest == kSubject);
  CHECK(schema->suffix.empty());
  for (const char* suffix : {"sig", "att", "sbom"}) {
    auto cosign = oci::parse_subject_tag("sha256-" + kHex + "." + suffix);
    REQUIRE(cosign);
    CHECK(cosign->suffix == suffix);
  }
  CHECK_FALSE(oci::parse_subject_tag("sha256-" + kHex + ".txt"));
  CHECK_FALSE(oci::parse_subject_tag("sha256-" + kHex.substr(1)));
  CHECK_FALSE(oci::parse_subject_tag("sha256-" + std::string(64, 'A')));
  CHECK_FALSE(oci::parse_subject_tag("noble"));
  CHECK_FALSE(oci::parse_subject_tag("sha512-" + kHex));
}

TEST_CASE("a referrer's descriptor carries artifactType, else the config type, and annotations",
          "[referrers]") {
  auto with_type = oci::parse_manifest(
      artifact("application/vnd.cncf.notary.signature", "application/vnd.oci.empty.v1+json"), "");
  REQUIRE(with_type);
  CHECK(with_type->subject->digest == kSubject);
  auto descriptor = oci::referrer_descriptor(
      *with_type, "application/vnd.oci.image.manifest.v1+json", kThird, 321);
  CHECK(descriptor.artifact_type == "application/vnd.cncf.notary.signature");
  CHECK(descriptor.size == 321);
  REQUIRE(descriptor.annotations.size() == 2);
  CHECK(descriptor.annotations[0] == std::pair<std::string, std::string>("k", "v"));

  auto without = oci::parse_manifest(artifact("", "application/spdx+json"), "");
  REQUIRE(without);
  CHECK(oci::referrer_descriptor(*without, "m", kThird, 1).artifact_type ==
        "application/spdx+json");
}

TEST_CASE("merging a tag schema index keeps every entry and adds the new ones once",
          "[referrers]") {
  const std::string existing =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kOther + R"(","size":5,"artifactType":"x/y","annotations":{"q":"r"},"vendor.field":7}]})";
  oci::Descriptor ours;
  ours.media_type = "application/vnd.oci.image.manifest.v1+json";
  ours.digest = kThird;
  ours.size = 9;
  ours.artifact_type = "application/vnd.cncf.notary.signature";
  ours.annotations = {{"created", "now"}};
  oci::Descriptor duplicate = ours;
  duplicate.digest = kOther;

  auto merged = oci::merge_referrers_index(existing, {ours, duplicate});
  REQUIRE(merged);
  auto json = util::Json::parse(*merged);
  REQUIRE(json);
  const auto& entries = json->find("manifests")->items();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].dump() ==
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kOther +
            R"(","size":5,"artifactType":"x/y","annotations":{"q":"r"},"vendor.field":7})");
  CHECK(entries[1].get_string("artifactType") == "application/vnd.cncf.notary.signature");
  CHECK(entries[1].find("annotations")->get_string("created") == "now");

  auto fresh = oci::merge_referrers_index("", {ours});
  REQUIRE(fresh);
  auto listed = oci::parse_referrers_list(*fresh, "");
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].digest == kThird);

  auto not_index = oci::merge_referrers_index(artifact("a/b", "c/d"), {ours});
  REQUIRE_FALSE(not_index);
  CHECK(not_index.error().kind == ErrorKind::Integrity);
}

TEST_CASE("the artifact-type allow-list", "[referrers]") {
  auto manifest = oci::parse_manifest(artifact("", "application/vnd.oci.image.config.v1+json"), "");
  REQUIRE(manifest);
  CHECK(oci::artifact_type_allowed({}, *manifest));
  CHECK(
      oci::artifact_type_allowed({"application/vnd.dev.cosign.simplesigning.v1+json"}, *manifest));
  CHECK_FALSE(oci::artifact_type_allowed({"application/spdx+json"}, *manifest));
  oci::Descriptor listed;
  listed.artifact_type = "application/spdx+json";
  CHECK(oci::artifact_type_allowed({"application/spdx+json"}, listed));
  CHECK_FALSE(oci::artifact_type_allowed({"application/vnd.cncf.notary.signature"}, listed));
  listed.artifact_type.clear();  // unknown until the manifest is read
  CHECK(oci::artifact_type_allowed({"application/vnd.cncf.notary.signature"}, listed));
}
