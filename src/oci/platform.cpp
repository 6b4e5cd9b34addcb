// Platform names as users write them (--platforms) and as indexes carry them (image-index.md
// "platform"), and the matching rule between the two.
#include "oci/manifest.hpp"
#include "util/strings.hpp"

namespace ecrm::oci {
namespace {

// "linux/arm64" in an index usually carries variant "v8", but not always (containerd's platforms
// package treats the empty arm64 variant as v8), so a wanted v8 also matches an empty variant.
std::string effective_variant(const Platform& platform) {
  if (platform.architecture == "arm64" && platform.variant.empty()) return "v8";
  return platform.variant;
}

bool is_valid_platform_part(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string Platform::str() const {
  std::string text = os + "/" + architecture;
  if (!variant.empty()) text += "/" + variant;
  return text;
}

Expected<Platform> parse_platform(std::string_view text) {
  std::string lowered = util::to_lower(util::trim(text));
  std::vector<std::string> parts = util::split(lowered, '/');
  bool valid = parts.size() == 2 || parts.size() == 3;
  for (const std::string& part : parts) valid = valid && is_valid_platform_part(part);
  if (!valid) {
    return make_error(ErrorKind::Usage, "invalid platform \"" + std::string(text) + "\"",
                      "write os/architecture[/variant], e.g. linux/amd64, linux/arm64/v8");
  }
  Platform platform;
  platform.os = parts[0];
  platform.architecture = parts[1];
  // The names `uname -m` prints, as containerd's platforms.Normalize maps them.
  if (platform.architecture == "x86_64" || platform.architecture == "x86-64") {
    platform.architecture = "amd64";
  } else if (platform.architecture == "aarch64") {
    platform.architecture = "arm64";
  }
  if (parts.size() == 3) platform.variant = parts[2];
  return platform;
}

bool platform_matches(const Platform& wanted, const Platform& candidate) {
  if (wanted.os != candidate.os || wanted.architecture != candidate.architecture) return false;
  return wanted.variant.empty() || effective_variant(wanted) == effective_variant(candidate);
}

}  // namespace ecrm::oci
