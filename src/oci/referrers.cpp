#include "oci/referrers.hpp"

#include <algorithm>
#include <set>

#include "util/json.hpp"
#include "util/strings.hpp"

namespace ecrm::oci {

using util::Json;

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

bool is_sha256_hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Json descriptor_json(const Descriptor& descriptor) {
  Json json = Json::object();
  json.set("mediaType", descriptor.media_type);
  json.set("digest", descriptor.digest);
  json.set("size", descriptor.size);
  if (!descriptor.artifact_type.empty()) json.set("artifactType", descriptor.artifact_type);
  if (!descriptor.annotations.empty()) {
    Json annotations = Json::object();
    for (const auto& [key, value] : descriptor.annotations) annotations.set(key, value);
    json.set("annotations", std::move(annotations));
  }
  return json;
}

}  // namespace

std::string referrers_tag(std::string_view subject_digest) {
  const std::size_t colon = subject_digest.find(':');
  if (colon == std::string_view::npos) return std::string(subject_digest);
  return std::string(subject_digest.substr(0, std::min<std::size_t>(colon, 32))) + "-" +
         std::string(subject_digest.substr(colon + 1, 64));
}

std::string cosign_tag(std::string_view subject_digest, std::string_view suffix) {
  return referrers_tag(subject_digest) + "." + std::string(suffix);
}

std::optional<SubjectTag> parse_subject_tag(std::string_view tag) {
  if (!util::starts_with(tag, "sha256-")) return std::nullopt;
  std::string_view rest = tag.substr(7);
  SubjectTag parsed;
  if (rest.size() > 64) {
    if (rest[64] != '.') return std::nullopt;
    std::string_view suffix = rest.substr(65);
    if (std::find(std::begin(kCosignSuffixes), std::end(kCosignSuffixes), suffix) ==
        std::end(kCosignSuffixes))
      return std::nullopt;
    parsed.suffix = std::string(suffix);
    rest = rest.substr(0, 64);
  }
  if (!is_sha256_hex(rest)) return std::nullopt;
  parsed.subject_digest = "sha256:" + std::string(rest);
  return parsed;
}

Descriptor referrer_descriptor(const Manifest& manifest, const std::string& media_type,
                               const std::string& digest, std::int64_t size) {
  Descriptor descriptor;
  descriptor.media_type = media_type;
  descriptor.digest = digest;
  descriptor.size = size;
  descriptor.artifact_type = manifest.artifact_type;
  if (descriptor.artifact_type.empty() && manifest.config)
    descriptor.artifact_type = manifest.config->media_type;
  descriptor.annotations = manifest.annotations;
  return descriptor;
}

Expected<std::vector<Descriptor>> parse_referrers_list(std::string_view bytes,
                                                       std::string_view content_type) {
  auto parsed = parse_manifest(bytes, content_type);
  if (!parsed) return parsed.error();
  if (parsed->kind != Manifest::Kind::Index) {
    return make_error(ErrorKind::Integrity,
                      "a referrers list must be an image index, but this is an image manifest");
  }
  return std::move(parsed->manifests);
}

Expected<std::string> merge_referrers_index(std::string_view existing,
                                            const std::vector<Descriptor>& additions) {
  Json root = Json::object();
  Json entries = Json::array();
  std::set<std::string> listed;
  if (!existing.empty()) {
    auto listed_descriptors = parse_referrers_list(existing, "");
    if (!listed_descriptors) return listed_descriptors.error();
    auto parsed = Json::parse(existing);
    if (!parsed) return parsed.error();
    root = std::move(*parsed);
    for (const Json& entry : root.find("manifests")->items()) entries.push(entry);
    for (const auto& descriptor : *listed_descriptors) listed.insert(descriptor.digest);
  } else {
    root.set("schemaVersion", 2);
    root.set("mediaType", std::string(media::kOciIndex));
  }
  for (const auto& descriptor : additions) {
    if (!listed.insert(descriptor.digest).second) continue;  // §5 step 4: no duplicates
    entries.push(descriptor_json(descriptor));
  }
  root.set("manifests", std::move(entries));
  return root.dump();
}

bool artifact_type_allowed(const std::vector<std::string>& allowed, const Manifest& manifest) {
  if (allowed.empty()) return true;
  if (contains(allowed, manifest.artifact_type)) return true;
  if (manifest.config && contains(allowed, manifest.config->media_type)) return true;
  return std::any_of(manifest.layers.begin(), manifest.layers.end(),
                     [&](const Descriptor& layer) { return contains(allowed, layer.media_type); });
}

bool artifact_type_allowed(const std::vector<std::string>& allowed, const Descriptor& listed) {
  return allowed.empty() || listed.artifact_type.empty() || contains(allowed, listed.artifact_type);
}

}  // namespace ecrm::oci
