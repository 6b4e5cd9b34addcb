#include "oci/manifest.hpp"

#include <algorithm>

#include "util/json.hpp"
#include "util/strings.hpp"

namespace ecrm::oci {

using util::Json;

namespace {

constexpr std::string_view kAnnotationReferenceDigest = "vnd.docker.reference.digest";
constexpr std::string_view kAnnotationReferenceType = "vnd.docker.reference.type";
constexpr std::string_view kSupportedHint =
    "ecr-mirror copies OCI image indexes and manifests and Docker v2 manifest lists and manifests";

// Content-Type may carry parameters ("; charset=utf-8") and is case-insensitive (RFC 9110 §8.3.1).
std::string bare_media_type(std::string_view content_type) {
  std::size_t semicolon = content_type.find(';');
  return util::to_lower(util::trim(content_type.substr(0, semicolon)));
}

bool is_known_media_type(std::string_view media_type) {
  return is_index_media_type(media_type) || is_image_media_type(media_type);
}

Error integrity(std::string message, std::string hint = {}) {
  return make_error(ErrorKind::Integrity, std::move(message), std::move(hint));
}

Error schema1_error() {
  return integrity("schema 1 manifests are deprecated and not supported",
                   "re-push the image with a current docker or docker buildx (for example "
                   "`docker pull`, `docker tag`, `docker push`), which writes schema 2 or OCI "
                   "manifests");
}

// Quotes text from the manifest for a message; a hostile manifest must not make the message huge.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  if (text.size() <= kMaxShown) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMaxShown)) + "…\"";
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// OCI image-spec descriptor.md: digest is "algorithm:encoded". Registries accept only sha256 for
// pushes, so any other algorithm would fail later at the destination; say so now.
Status check_digest(std::string_view digest, const std::string& where) {
  std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return integrity(where + ".digest " + quoted(digest) + " is not algorithm:hex");
  }
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (algorithm != "sha256") {
    return integrity(where + ".digest uses unsupported algorithm " + quoted(algorithm) +
                     "; only sha256 is supported");
  }
  if (hex.size() != 64 || !is_lower_hex(hex)) {
    return integrity(where + ".digest " + quoted(digest) +
                     " is not sha256 followed by 64 lower-case hex digits");
  }
  return {};
}

Expected<std::string> optional_string(const Json& object, std::string_view key,
                                      const std::string& where) {
  const Json* value = object.find(key);
  if (value == nullptr) return std::string();
  if (!value->is_string()) {
    return integrity(where + "." + std::string(key) + " must be a string");
  }
  return value->as_string();
}

Expected<Platform> parse_descriptor_platform(const Json& json, const std::string& where) {
  if (!json.is_object()) return integrity(where + " must be an object");
  Platform platform;
  // image-index.md: architecture and os are REQUIRED when platform is present.
  for (auto [key, field] :
       {std::pair{"os", &platform.os}, std::pair{"architecture", &platform.architecture}}) {
    std::optional<std::string> value = json.get_string(key);
    if (!value) return integrity(where + "." + key + " is missing or not a string");
    *field = *value;
  }
  auto variant = optional_string(json, "variant", where);
  if (!variant) return variant.error();
  platform.variant = *variant;
  auto os_version = optional_string(json, "os.version", where);
  if (!os_version) return os_version.error();
  platform.os_version = *os_version;
  return platform;
}

Expected<Descriptor> parse_descriptor(const Json& json, const std::string& where) {
  if (!json.is_object()) return integrity(where + " must be an object");
  Descriptor descriptor;
  std::optional<std::string> media_type = json.get_string("mediaType");
  if (!media_type) return integrity(where + ".mediaType is missing or not a string");
  descriptor.media_type = *media_type;

  std::optional<std::string> digest = json.get_string("digest");
  if (!digest) return integrity(where + ".digest is missing or not a string");
  if (Status ok = check_digest(*digest, where); !ok) return ok.error();
  descriptor.digest = *digest;

  std::optional<std::int64_t> size = json.get_int("size");
  if (!size || *size < 0) {
    return integrity(where + ".size is missing or not a non-negative integer");
  }
  descriptor.size = *size;
  auto artifact_type = optional_string(json, "artifactType", where);
  if (!artifact_type) return artifact_type.error();
  descriptor.artifact_type = *artifact_type;

  if (const Json* platform = json.find("platform"); platform != nullptr) {
    auto parsed = parse_descriptor_platform(*platform, where + ".platform");
    if (!parsed) return parsed.error();
    descriptor.platform = *parsed;
  }
  if (const Json* annotations = json.find("annotations"); annotations != nullptr) {
    // descriptor.md: annotations is a map of string to string.
    if (!annotations->is_object()) return integrity(where + ".annotations must be an object");
    for (const auto& [key, value] : annotations->members()) {
      if (!value.is_string()) {
        return integrity(where + ".annotations[" + quoted(key) + "] must be a string");
      }
      descriptor.annotations.emplace_back(key, value.as_string());
    }
    descriptor.reference_digest = annotations->get_string(kAnnotationReferenceDigest).value_or("");
    descriptor.reference_type = annotations->get_string(kAnnotationReferenceType).value_or("");
  }
  return descriptor;
}

Expected<std::vector<Descriptor>> parse_descriptor_list(const Json& object, std::string_view key) {
  const Json* list = object.find(key);
  if (list == nullptr || !list->is_array()) {
    return integrity(std::string(key) + " is missing or not an array");
  }
  std::vector<Descriptor> descriptors;
  descriptors.reserve(list->items().size());
  for (std::size_t i = 0; i < list->items().size(); ++i) {
    auto descriptor =
        parse_descriptor(list->items()[i], std::string(key) + "[" + std::to_string(i) + "]");
    if (!descriptor) return descriptor.error();
    descriptors.push_back(std::move(*descriptor));
  }
  return descriptors;
}

// Content-Type first (that is what the registry stored), then the body's mediaType, then the
// shape: older OCI manifests may omit mediaType (image-spec made it a SHOULD only in 1.0.2).
Expected<std::string> resolve_media_type(const Json& root, std::string_view content_type) {
  std::string from_header = bare_media_type(content_type);
  if (is_schema1_media_type(from_header)) return schema1_error();
  if (is_known_media_type(from_header)) {
    // OCI image-spec (manifest.md, image-index.md): when present, mediaType must match the
    // Content-Type the manifest is served with; a mismatch means the registry or the pusher lied.
    if (const Json* field = root.find("mediaType");
        field != nullptr && field->is_string() &&
        bare_media_type(field->as_string()) != from_header) {
      return integrity("the registry serves it as " + quoted(from_header) +
                           " but its mediaType field says " + quoted(field->as_string()),
                       "the manifest was pushed with the wrong Content-Type; re-push the source "
                       "image with a current docker/buildx/skopeo");
    }
    return from_header;
  }
  if (const Json* field = root.find("mediaType"); field != nullptr) {
    if (!field->is_string()) return integrity("mediaType must be a string");
    std::string from_body = bare_media_type(field->as_string());
    if (is_schema1_media_type(from_body)) return schema1_error();
    if (!is_known_media_type(from_body)) {
      return integrity("unsupported manifest media type " + quoted(field->as_string()),
                       std::string(kSupportedHint));
    }
    return from_body;
  }
  if (root.find("manifests") != nullptr) return std::string(media::kOciIndex);
  if (root.find("config") != nullptr && root.find("layers") != nullptr) {
    return std::string(media::kOciManifest);
  }
  return integrity(
      "cannot tell the manifest type: no known Content-Type, no mediaType field, "
      "and neither \"manifests\" nor \"config\" and \"layers\"",
      std::string(kSupportedHint));
}

}  // namespace

std::string manifest_accept_header() {
  return util::join({std::string(media::kOciIndex), std::string(media::kOciManifest),
                     std::string(media::kDockerList), std::string(media::kDockerManifest)},
                    ",");
}

bool is_index_media_type(std::string_view media_type) {
  std::string bare = bare_media_type(media_type);
  return bare == media::kOciIndex || bare == media::kDockerList;
}

bool is_image_media_type(std::string_view media_type) {
  std::string bare = bare_media_type(media_type);
  return bare == media::kOciManifest || bare == media::kDockerManifest;
}

bool is_schema1_media_type(std::string_view media_type) {
  std::string bare = bare_media_type(media_type);
  return bare == media::kDockerSchema1 || bare == media::kDockerSchema1Signed;
}

std::vector<Descriptor> Manifest::blobs() const {
  std::vector<Descriptor> result;
  if (kind != Kind::Image) return result;
  if (config) result.push_back(*config);
  result.insert(result.end(), layers.begin(), layers.end());
  return result;
}

Expected<Manifest> parse_manifest(std::string_view bytes, std::string_view content_type) {
  if (bytes.size() > kMaxManifestBytes) {
    return integrity("manifest is " + std::to_string(bytes.size()) + " bytes, over the " +
                     std::to_string(kMaxManifestBytes) + "-byte limit");
  }
  if (is_schema1_media_type(content_type)) return schema1_error();
  auto root = Json::parse(bytes);
  if (!root) return integrity("manifest is not valid JSON: " + root.error().message);
  if (!root->is_object()) return integrity("manifest is not a JSON object");

  if (const Json* version = root->find("schemaVersion"); version != nullptr) {
    if (version->is_int() && version->as_int() == 1) return schema1_error();
    if (!version->is_int() || version->as_int() != 2) {
      return integrity("unsupported schemaVersion " + quoted(version->dump()) + "; expected 2",
                       std::string(kSupportedHint));
    }
  }

  auto media_type = resolve_media_type(*root, content_type);
  if (!media_type) return media_type.error();
  Manifest manifest;
  manifest.media_type = *media_type;

  if (is_index_media_type(manifest.media_type)) {
    manifest.kind = Manifest::Kind::Index;
    auto children = parse_descriptor_list(*root, "manifests");
    if (!children) return children.error();
    manifest.manifests = std::move(*children);
  } else {
    manifest.kind = Manifest::Kind::Image;
    const Json* config = root->find("config");
    if (config == nullptr) return integrity("config is missing");
    auto parsed_config = parse_descriptor(*config, "config");
    if (!parsed_config) return parsed_config.error();
    manifest.config = std::move(*parsed_config);
    auto layers = parse_descriptor_list(*root, "layers");
    if (!layers) return layers.error();
    manifest.layers = std::move(*layers);
  }

  if (const Json* subject = root->find("subject"); subject != nullptr) {
    auto parsed_subject = parse_descriptor(*subject, "subject");
    if (!parsed_subject) return parsed_subject.error();
    manifest.subject = std::move(*parsed_subject);
  }
  auto artifact_type = optional_string(*root, "artifactType", "manifest");
  if (!artifact_type) return artifact_type.error();
  manifest.artifact_type = *artifact_type;
  if (const Json* annotations = root->find("annotations"); annotations != nullptr) {
    if (!annotations->is_object()) return integrity("annotations must be an object");
    for (const auto& [key, value] : annotations->members()) {
      if (!value.is_string()) return integrity("annotations[" + quoted(key) + "] must be a string");
      manifest.annotations.emplace_back(key, value.as_string());
    }
  }
  return manifest;
}

}  // namespace ecrm::oci
