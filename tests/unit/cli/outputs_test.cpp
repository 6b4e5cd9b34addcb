#include "cli/outputs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using ecrm::ErrorKind;
using ecrm::cli::append_step_summary;
using ecrm::cli::format_outputs;
using ecrm::cli::write_outputs;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ecrm-outputs-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs body with file descriptor 1 pointed at a temp file; returns what was written to stdout.
template <class Body>
std::string capture_stdout(const fs::path& file, Body body) {
  std::fflush(stdout);
  int saved = ::dup(1);
  REQUIRE(saved >= 0);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, 1);
  ::close(fd);
  body();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  return read_file(file);
}

}  // namespace

TEST_CASE("single-line values are name=value lines", "[outputs]") {
  CHECK(format_outputs({}) == "");
  CHECK(format_outputs({{"digest", "sha256:abc"}, {"tags", "a,b"}, {"empty", ""}}) ==
        "digest=sha256:abc\ntags=a,b\nempty=\n");
  // '=' in the value is fine: the runner splits at the first '='.
  CHECK(format_outputs({{"x", "a=b"}}) == "x=a=b\n");
}

TEST_CASE("multi-line values use a random heredoc delimiter", "[outputs]") {
  const std::string value = "one\ntwo";
  auto text = format_outputs({{"tags", value}, {"summary", "a\rb"}, {"digest", "sha256:1"}});
  std::smatch m;
  const std::regex heredoc(
      "^tags<<(ghadelimiter_[0-9a-f]{32})\none\ntwo\n\\1\n"
      "summary<<(ghadelimiter_[0-9a-f]{32})\na\rb\n\\2\n"
      "digest=sha256:1\n$");
  REQUIRE(std::regex_match(text, m, heredoc));
  CHECK(m[1].str() != m[2].str());
  // Fresh randomness on every call.
  auto again = format_outputs({{"tags", value}});
  CHECK(again.find(m[1].str()) == std::string::npos);
}

TEST_CASE("write_outputs appends to an existing file", "[outputs]") {
  TempDir dir;
  auto file = dir.path / "github_output";
  write_file(file, "earlier=1\n");
  REQUIRE(write_outputs(file.string(), {{"digest", "sha256:abc"}}).ok());
  REQUIRE(write_outputs(file.string(), {{"pushed", "true"}}).ok());
  CHECK(read_file(file) == "earlier=1\ndigest=sha256:abc\npushed=true\n");

  auto fresh = dir.path / "new_output";
  REQUIRE(write_outputs(fresh.string(), {{"a", "x\ny"}}).ok());
  auto text = read_file(fresh);
  CHECK(text.rfind("a<<ghadelimiter_", 0) == 0);
  CHECK(text.find("\nx\ny\nghadelimiter_") != std::string::npos);
}

TEST_CASE("write_outputs reports an unwritable path as a usage error", "[outputs]") {
  TempDir dir;
  auto missing = (dir.path / "no-such-dir" / "out").string();
  auto status = write_outputs(missing, {{"a", "b"}});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::Usage);
  CHECK(status.error().message.find(missing) != std::string::npos);
  CHECK_FALSE(status.error().hint.empty());

  auto directory = write_outputs(dir.path.string(), {{"a", "b"}});
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().kind == ErrorKind::Usage);
}

TEST_CASE("write_outputs with no path prints to stdout", "[outputs]") {
  TempDir dir;
  auto printed = capture_stdout(dir.path / "stdout", [] {
    CHECK(write_outputs("", {{"digest", "sha256:abc"}, {"count", "2"}}).ok());
  });
  CHECK(printed == "digest=sha256:abc\ncount=2\n");
}

TEST_CASE("append_step_summary appends Markdown or does nothing", "[outputs]") {
  TempDir dir;
  auto file = dir.path / "summary.md";
  CHECK(append_step_summary("", "# ignored").ok());
  CHECK(fs::is_empty(dir.path));

  write_file(file, "# Earlier step\n");
  REQUIRE(append_step_summary(file.string(), "## Mirror\n| a | b |").ok());
  REQUIRE(append_step_summary(file.string(), "done\n").ok());
  CHECK(read_file(file) == "# Earlier step\n## Mirror\n| a | b |\ndone\n");

  auto status = append_step_summary((dir.path / "missing" / "s.md").string(), "x");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message.find("missing") != std::string::npos);
}
