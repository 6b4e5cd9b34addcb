// --source, --destination, --tags, --platforms, --insecure-registries, --concurrency: the values
// are checked by the modules that own them (name, oci, mirror) and errors get the option's name.
#include <string>
#include <utility>
#include <vector>

#include "cli/inputs.hpp"
#include "mirror/referrers.hpp"
#include "mirror/tag_template.hpp"
#include "util/strings.hpp"

namespace ecrm::cli::detail {
namespace {

// "a,,b" is a typo the user should hear about; a trailing comma or the newline a YAML block
// scalar ends with is not.
Status no_empty_items(const Raw& raw) {
  std::vector<std::string> items;
  std::string current;
  for (char c : raw.value) {
    if (c == ',' || c == '\n') {
      items.push_back(util::trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  items.push_back(util::trim(current));
  while (!items.empty() && items.back().empty()) items.pop_back();
  while (!items.empty() && items.front().empty()) items.erase(items.begin());
  for (const auto& item : items) {
    if (item.empty()) {
      return usage(raw.origin + " " + in_quotes(raw.value) + " has an empty item",
                   "Remove the doubled separator: items are separated by one comma or newline.");
    }
  }
  return {};
}

// Error from another module (reference, platform, template parsing), prefixed with where the
// value came from.
Error from(const Raw& raw, const Error& inner) {
  return usage(raw.origin + ": " + inner.message, inner.hint);
}

}  // namespace

Status read_mirror(const Inputs& in, Options& o) {
  auto source = in.value("source");
  auto destination = in.value("destination");
  const bool many = !o.config_file.empty() || o.command == Command::MergeReports;
  if (many) {
    for (const auto& given : {source, destination}) {
      if (given)
        return usage(given->origin + " and --config cannot be combined",
                     "Put the image in the config's images: list, or drop --config.");
    }
  } else {
    if (!source) {
      return usage(
          "--source (INPUT_SOURCE) is required",
          "Name the image to copy, e.g. --source public.ecr.aws/docker/library/alpine:3.20, or "
          "give --config FILE for many images.");
    }
    auto ref = name::parse_reference(source->value);
    if (!ref) return from(*source, ref.error());
    o.source = std::move(*ref);
    if (!destination) {
      return usage("--destination (INPUT_DESTINATION) is required",
                   "Name the repository to copy into, e.g. --destination 123456789012.dkr.ecr."
                   "us-east-1.amazonaws.com/alpine.");
    }
    auto repo = name::parse_repository(destination->value);
    if (!repo) return from(*destination, repo.error());
    o.destination = std::move(*repo);
  }

  o.tag_templates = mirror::kDefaultTagTemplates;
  if (auto tags = in.value("tags")) {
    if (auto st = no_empty_items(*tags); !st) return st;
    o.tag_templates = util::split_list(tags->value);
    if (o.tag_templates.empty()) {
      return usage(tags->origin + " " + in_quotes(tags->value) + " names no tag template",
                   "Give templates separated by commas or newlines, e.g. {tag},{tag}-{digest12}.");
    }
    // With a config the templates are checked per tag when the images are expanded.
    auto valid = mirror::validate_tag_templates(o.tag_templates, many ? "1.0" : o.source.tag);
    if (!valid) return from(*tags, valid.error());
  } else if (!many && !mirror::validate_tag_templates(o.tag_templates, o.source.tag)) {
    // The default templates use {tag}, which a digest-only source cannot fill.
    return usage("the default --tags " + util::join(o.tag_templates, ",") + " need a tag, but " +
                     source->origin + " " + in_quotes(source->value) + " has none",
                 "Add a tag to the source or pass tags without {tag}, e.g. --tags "
                 "mirror-{digest12}.");
  }

  if (auto platforms = in.value("platforms");
      platforms && !util::iequals(platforms->value, "all")) {
    if (auto st = no_empty_items(*platforms); !st) return st;
    auto items = util::split_list(platforms->value);
    if (items.empty()) {
      return usage(platforms->origin + " " + in_quotes(platforms->value) + " names no platform",
                   "Give os/arch[/variant] items such as linux/amd64,linux/arm64, or all.");
    }
    for (const auto& item : items) {
      auto platform = oci::parse_platform(item);
      if (!platform) return from(*platforms, platform.error());
      bool seen = false;
      for (const auto& p : o.platforms) seen = seen || p == *platform;
      if (!seen) o.platforms.push_back(std::move(*platform));
    }
  }

  if (auto insecure = in.value("insecure-registries")) {
    if (auto st = no_empty_items(*insecure); !st) return st;
    for (const auto& item : util::split_list(insecure->value)) {
      if (item.find("://") != std::string::npos) {
        return usage(insecure->origin + " entry " + in_quotes(item) + " contains a URL scheme",
                     "Give just host:port (e.g. localhost:5000); plain HTTP is implied.");
      }
      auto host = util::to_lower(item);
      if (!name::is_valid_registry_host(host)) {
        return usage(insecure->origin + " entry " + in_quotes(item) + " is not a registry host",
                     "Give host or host:port items, e.g. localhost:5000,10.0.0.5:5000.");
      }
      bool seen = false;
      for (const auto& h : o.insecure_registries) seen = seen || h == host;
      if (!seen) o.insecure_registries.push_back(std::move(host));
    }
  }
  if (auto mode = in.value("referrers")) {
    const std::string value = util::to_lower(util::trim(mode->value));
    if (value == "auto") {
      o.referrers.mode = mirror::ReferrerMode::Auto;
    } else if (value == "require") {
      o.referrers.mode = mirror::ReferrerMode::Require;
    } else if (value == "off") {
      o.referrers.mode = mirror::ReferrerMode::Off;
    } else {
      return usage(mode->origin + " " + in_quotes(mode->value) + " is not a referrers mode",
                   "Use auto (copy what exists), require (fail when a referrer cannot be copied) "
                   "or off.");
    }
  }
  if (auto types = in.value("referrer-types"); types && !util::iequals(types->value, "all")) {
    if (auto st = no_empty_items(*types); !st) return st;
    for (auto& item : util::split_list(types->value)) {
      // A media type (RFC 6838 §4.2): type "/" subtype, no spaces.
      const auto slash = item.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == item.size() ||
          item.find_first_of(" \t\"") != std::string::npos) {
        return usage(types->origin + " entry " + in_quotes(item) + " is not a media type",
                     "Give artifact types such as application/vnd.cncf.notary.signature, "
                     "application/spdx+json or application/vnd.dev.cosign.simplesigning.v1+json.");
      }
      o.referrers.artifact_types.push_back(std::move(item));
    }
  }
  return read_int(in, "concurrency", 1, 64, o.concurrency);
}

}  // namespace ecrm::cli::detail
