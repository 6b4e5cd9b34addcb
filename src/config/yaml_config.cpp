// The one file that includes yaml-cpp. Every key is known or an error, every error names the file,
// the line and the key path (images[3].semver), so that a typo fails before any request.
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/config.hpp"
#include "config/selection.hpp"
#include "mirror/tag_template.hpp"
#include "util/crypto.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ecrm::config {
namespace {

constexpr const char* kSchemaHint =
    "see schema/config.schema.json and README.md (\"Many images\") for every key";

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  std::string where(const YAML::Node& node) const {
    return path_ + ":" + std::to_string(node.Mark().line + 1);
  }
  Error bad(const YAML::Node& node, const std::string& key, const std::string& why,
            std::string hint = kSchemaHint) const {
    return make_error(ErrorKind::Usage, where(node) + ": " + key + ": " + why, std::move(hint));
  }

  Status keys(const YAML::Node& map, const std::string& key, std::set<std::string> allowed) const {
    if (!map.IsMap()) return bad(map, key, "must be a mapping (key: value lines)");
    for (const auto& item : map) {
      const auto name = item.first.as<std::string>();
      if (!allowed.count(name))
        return bad(item.first, key.empty() ? name : key + "." + name,
                   "is not a known key (known: " +
                       util::join(std::vector<std::string>(allowed.begin(), allowed.end()), ", ") +
                       ")");
    }
    return {};
  }

  Expected<std::string> scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) return bad(node, key, "must be a single value");
    return node.as<std::string>();
  }

  // A list of strings; a single string is a list of one.
  Expected<std::vector<std::string>> strings(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.as<std::string>());
      return out;
    }
    if (!node.IsSequence()) return bad(node, key, "must be a list of values");
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar())
        return bad(node[i], key + "[" + std::to_string(i) + "]", "must be a single value");
      out.push_back(node[i].as<std::string>());
    }
    return out;
  }

  Expected<bool> boolean(const YAML::Node& node, const std::string& key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
      return bad(node, key, "must be true or false");
    return value;
  }

  Expected<long> integer(const YAML::Node& node, const std::string& key, long low,
                         long high) const {
    long value = 0;
    if (!node.IsScalar() || !YAML::convert<long>::decode(node, value) || value < low ||
        value > high)
      return bad(
          node, key,
          "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high));
    return value;
  }

  Expected<std::vector<oci::Platform>> platforms(const YAML::Node& node,
                                                 const std::string& key) const {
    auto items = strings(node, key);
    if (!items) return items.error();
    std::vector<oci::Platform> out;
    if (items->size() == 1 && util::iequals(items->front(), "all")) return out;
    for (const auto& item : *items) {
      auto platform = oci::parse_platform(item);
      if (!platform) return bad(node, key, platform.error().message, platform.error().hint);
      out.push_back(std::move(*platform));
    }
    return out;
  }

  Expected<std::vector<std::string>> templates(const YAML::Node& node,
                                               const std::string& key) const {
    auto items = strings(node, key);
    if (!items) return items.error();
    if (items->empty()) return bad(node, key, "names no tag template");
    // A sample tag: the templates are checked again per tag when the entries are expanded.
    if (auto valid = mirror::validate_tag_templates(*items, "1.0"); !valid)
      return bad(node, key, valid.error().message, valid.error().hint);
    return items;
  }

  Status referrers(const YAML::Node& map, const std::string& key,
                   std::optional<mirror::ReferrerPolicy>& out) const {
    mirror::ReferrerPolicy policy;
    if (auto mode = map["referrers"]) {
      auto text = scalar(mode, key + ".referrers");
      if (!text) return text.error();
      const auto value = util::to_lower(*text);
      if (value == "auto")
        policy.mode = mirror::ReferrerMode::Auto;
      else if (value == "require")
        policy.mode = mirror::ReferrerMode::Require;
      else if (value == "off")
        policy.mode = mirror::ReferrerMode::Off;
      else
        return bad(mode, key + ".referrers", "must be auto, require or off");
      out = policy;
    }
    if (auto types = map["referrer-types"]) {
      auto items = strings(types, key + ".referrer-types");
      if (!items) return items.error();
      if (!out) out = policy;
      out->artifact_types = *items;
    }
    return {};
  }

  Status selection(const YAML::Node& map, const std::string& key, Selection& s, bool nested) const {
    if (nested) {
      if (auto st = keys(map, key, {"tags", "allow", "deny", "semver", "latest"}); !st) return st;
    }
    for (auto [name, target] :
         {std::pair{"tags", &s.tags}, {"allow", &s.allow}, {"deny", &s.deny}}) {
      if (auto node = map[name]) {
        auto items = strings(node, key + "." + name);
        if (!items) return items.error();
        *target = *items;
        if (std::string(name) == "tags") {
          for (const auto& tag : s.tags)
            if (!name::is_valid_tag(tag))
              return bad(node, key + ".tags", "\"" + tag + "\" is not a tag",
                         "a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; patterns go in allow:");
        }
      }
    }
    if (auto node = map["semver"]) {
      auto text = scalar(node, key + ".semver");
      if (!text) return text.error();
      s.semver = *text;
    }
    if (auto node = map["latest"]) {
      auto n = integer(node, key + ".latest", 1, 10000);
      if (!n) return n.error();
      s.latest = static_cast<int>(*n);
    }
    if (auto checked = check_selection(s); !checked)
      return bad(map, key, checked.error().message, checked.error().hint);
    return {};
  }

  Status entry(const YAML::Node& node, std::size_t index, Config& config) const {
    const std::string key = "images[" + std::to_string(index) + "]";
    if (node.IsScalar()) {
      // "- ghcr.io/org/app:1.2": a source with its tag and nothing else.
      YAML::Node map;
      map["source"] = node.as<std::string>();
      return entry_map(node, map, key, config);
    }
    if (auto st = keys(node, key,
                       {"source", "destination", "destination-tags", "platforms", "tags", "allow",
                        "deny", "semver", "latest", "select", "digests"});
        !st)
      return st;
    return entry_map(node, node, key, config);
  }

  Status entry_map(const YAML::Node& at, const YAML::Node& node, const std::string& key,
                   Config& config) const {
    Entry e;
    e.where = where(at);
    auto source_node = node["source"];
    if (!source_node) return bad(at, key + ".source", "is required (the repository to copy from)");
    auto source = scalar(source_node, key + ".source");
    if (!source) return source.error();
    const bool bare = static_cast<bool>(name::parse_repository(*source));
    auto ref = name::parse_reference(*source);
    if (!ref) return bad(at, key + ".source", ref.error().message, ref.error().hint);
    e.source = *ref;
    if (bare) e.source.tag.clear();  // parse_reference's implied "latest" is not a selection
    if (auto d = node["destination"]) {
      auto text = scalar(d, key + ".destination");
      if (!text) return text.error();
      e.destination = *text;
    }
    if (auto t = node["destination-tags"]) {
      auto items = templates(t, key + ".destination-tags");
      if (!items) return items.error();
      e.tag_templates = *items;
    }
    if (auto p = node["platforms"]) {
      auto items = platforms(p, key + ".platforms");
      if (!items) return items.error();
      e.platforms = *items;
    }
    Selection top;
    if (auto st = selection(node, key, top, false); !st) return st;
    if (!top.tags.empty() || top.by_pattern()) e.selections.push_back(top);
    if (auto list = node["select"]) {
      if (!list.IsSequence()) return bad(list, key + ".select", "must be a list of selections");
      for (std::size_t i = 0; i < list.size(); ++i) {
        Selection s;
        if (auto st = selection(list[i], key + ".select[" + std::to_string(i) + "]", s, true); !st)
          return st;
        e.selections.push_back(std::move(s));
      }
    }
    if (auto list = node["digests"]) {
      auto items = strings(list, key + ".digests");
      if (!items) return items.error();
      for (const auto& digest : *items)
        if (!name::is_valid_digest(digest))
          return bad(list, key + ".digests", "\"" + digest + "\" is not a sha256 digest");
      e.digests = *items;
    }
    const bool from_source = !e.source.tag.empty() || !e.source.digest.empty();
    if (from_source && (!e.selections.empty() || !e.digests.empty()))
      return bad(at, key + ".source", "names a tag or digest and the entry also selects tags",
                 "give the bare repository with tags:/allow:/semver:, or just repo:tag");
    if (!from_source && e.selections.empty() && e.digests.empty())
      return bad(at, key,
                 "selects no tag (" + e.source.repository.str() +
                     " has no :tag, and there is "
                     "no tags:, allow:, semver: or latest:)",
                 "add tags: [\"1.2\"] or allow: [\"1\\\\..*\"], or write the source as repo:tag");
    const bool has_destination = !e.destination.empty() || !config.defaults.destination.empty();
    if (!has_destination)
      return bad(at, key + ".destination", "is missing and defaults.destination is not set");
    auto destination = destination_for(e, config.defaults);
    if (!destination)
      return bad(at, key + ".destination", destination.error().message, destination.error().hint);
    config.entries.push_back(std::move(e));
    return {};
  }

  Status registry(const YAML::Node& host_node, const YAML::Node& node, Config& config) const {
    RegistrySettings r;
    r.where = where(host_node);
    r.host = util::to_lower(host_node.as<std::string>());
    if (r.host == "docker.io" || r.host == "index.docker.io") r.host = name::kDockerHubRegistry;
    const std::string key = "registries." + r.host;
    if (!name::is_valid_registry_host(r.host))
      return bad(host_node, key, "is not a registry host", "write host or host:port");
    if (node.IsNull()) {
      config.registries.push_back(std::move(r));
      return {};
    }
    if (auto st =
            keys(node, key, {"username-env", "password-env", "insecure", "requests-per-second"});
        !st)
      return st;
    for (auto [name, target] :
         {std::pair{"username-env", &r.username_env}, {"password-env", &r.password_env}}) {
      if (auto v = node[name]) {
        auto text = scalar(v, key + "." + name);
        if (!text) return text.error();
        if (text->empty() || text->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                                     "qrstuvwxyz0123456789_") != std::string::npos)
          return bad(v, key + "." + name, "\"" + *text + "\" is not an environment variable name",
                     "name the variable that holds the value (e.g. DOCKERHUB_TOKEN), never the "
                     "secret itself");
        *target = *text;
      }
    }
    if (r.username_env.empty() != r.password_env.empty())
      return bad(node, key, "needs both username-env and password-env, or neither");
    if (auto v = node["insecure"]) {
      auto b = boolean(v, key + ".insecure");
      if (!b) return b.error();
      r.insecure = *b;
    }
    if (auto v = node["requests-per-second"]) {
      double rate = 0;
      if (!v.IsScalar() || !YAML::convert<double>::decode(v, rate) || rate <= 0 || rate > 10000)
        return bad(v, key + ".requests-per-second", "must be a number above 0 (up to 10000)");
      r.requests_per_second = rate;
    }
    config.registries.push_back(std::move(r));
    return {};
  }

  Expected<Config> read(const YAML::Node& root) const {
    Config config;
    config.path = path_;
    if (!root.IsMap())
      return make_error(ErrorKind::Usage, path_ + ": the file is not a YAML mapping",
                        std::string("start with images: (and optionally version: 1, defaults:, "
                                    "registries:); ") +
                            kSchemaHint);
    if (auto st = keys(root, "", {"version", "defaults", "registries", "images"}); !st)
      return st.error();
    if (auto v = root["version"]) {
      auto n = integer(v, "version", 1, 1);
      if (!n) return n.error();
    }
    if (auto d = root["defaults"]) {
      if (auto st = keys(d, "defaults",
                         {"destination", "destination-tags", "platforms", "referrers",
                          "referrer-types", "create-repository"});
          !st)
        return st.error();
      if (auto v = d["destination"]) {
        auto text = scalar(v, "defaults.destination");
        if (!text) return text.error();
        config.defaults.destination = *text;
      }
      if (auto v = d["destination-tags"]) {
        auto items = templates(v, "defaults.destination-tags");
        if (!items) return items.error();
        config.defaults.tag_templates = *items;
      }
      if (auto v = d["platforms"]) {
        auto items = platforms(v, "defaults.platforms");
        if (!items) return items.error();
        config.defaults.platforms = *items;
      }
      if (auto st = referrers(d, "defaults", config.defaults.referrers); !st) return st.error();
      if (auto v = d["create-repository"]) {
        auto b = boolean(v, "defaults.create-repository");
        if (!b) return b.error();
        config.defaults.create_repository = *b;
      }
    }
    if (auto regs = root["registries"]) {
      if (!regs.IsMap()) return bad(regs, "registries", "must map hosts to their settings");
      for (const auto& item : regs)
        if (auto st = registry(item.first, item.second, config); !st) return st.error();
    }
    auto images = root["images"];
    if (!images || !images.IsSequence() || images.size() == 0)
      return make_error(ErrorKind::Usage, path_ + ": images: is missing or empty",
                        "list the images to mirror under images:, e.g.\n  images:\n    - source: "
                        "docker.io/library/alpine\n      tags: [\"3.20\"]");
    for (std::size_t i = 0; i < images.size(); ++i)
      if (auto st = entry(images[i], i, config); !st) return st.error();
    return config;
  }

 private:
  std::string path_;
};

}  // namespace

Expected<Config> parse_config(const std::string& text, const std::string& path) {
  try {
    auto config = Reader(path).read(YAML::Load(text));
    if (config) config->digest = "sha256:" + util::sha256_hex(text);
    return config;
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::Usage,
                      path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg,
                      "fix the syntax at that line (indentation, a missing colon or quote)");
  }
}

Expected<Config> load_config(const std::string& path) {
  auto text = util::read_file(path, "config file",
                              "check the path given to --config (relative paths start at the "
                              "working directory: the repository's root in Actions)",
                              4 << 20);
  if (!text) return text.error();
  return parse_config(*text, path);
}

}  // namespace ecrm::config
