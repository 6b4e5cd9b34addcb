#include "util/file.hpp"

#include <fstream>
#include <sstream>

namespace ecrm::util {

Expected<std::string> read_file(const std::string& path, const std::string& what,
                                const std::string& hint, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::Usage, "cannot read the " + what + " " + path, hint);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > max_bytes)
    return make_error(
        ErrorKind::Usage,
        "the " + what + " " + path + " is over " + std::to_string(max_bytes >> 20) + " MiB", hint);
  return text.str();
}

Status write_file(const std::string& path, const std::string& text, const std::string& what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return make_error(ErrorKind::Usage, "cannot write the " + what + " " + path,
                      "check that its directory exists and is writable");
  return {};
}

}  // namespace ecrm::util
