#include "config/config.hpp"

#include "util/strings.hpp"

namespace ecrm::config {

bool Entry::by_pattern() const {
  for (const auto& s : selections)
    if (s.by_pattern()) return true;
  return false;
}

const RegistrySettings* Config::registry(const std::string& host) const {
  for (const auto& r : registries)
    if (r.host == host) return &r;
  return nullptr;
}

Expected<name::Repository> destination_for(const Entry& entry, const Defaults& defaults) {
  std::string text = entry.destination.empty() ? defaults.destination : entry.destination;
  const auto& source = entry.source.repository;
  const auto slash = source.path.rfind('/');
  const std::string last = slash == std::string::npos ? source.path : source.path.substr(slash + 1);
  // Docker Hub's host is the API's, not what users write in a path; a port's colon cannot be in a
  // path component (distribution/reference), so host:5000 becomes host-5000.
  std::string registry =
      source.registry == name::kDockerHubRegistry ? std::string("docker.io") : source.registry;
  for (auto& c : registry)
    if (c == ':') c = '-';
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string::npos)
      return make_error(ErrorKind::Usage, "destination \"" + text + "\" has an unclosed {",
                        "placeholders are {registry}, {repo} and {name}");
    const auto key = text.substr(i + 1, close - i - 1);
    if (key == "registry")
      out += registry;
    else if (key == "repo")
      out += source.path;
    else if (key == "name")
      out += last;
    else
      return make_error(
          ErrorKind::Usage,
          "destination \"" + text + "\" has the unknown placeholder {" + key + "}",
          "placeholders are {registry} (the source's host, :port as -port), {repo} (its path) and "
          "{name} (the path's last component)");
    i = close + 1;
  }
  auto repo = name::parse_repository(out);
  if (!repo)
    return make_error(ErrorKind::Usage,
                      "destination \"" + text + "\" becomes \"" + out +
                          "\", which is not a repository: " + repo.error().message,
                      repo.error().hint);
  return repo;
}

}  // namespace ecrm::config
