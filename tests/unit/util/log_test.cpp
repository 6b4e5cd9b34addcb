#include "util/log.hpp"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "util/strings.hpp"

using namespace ecrm::util;

namespace {

// Log is a process-wide singleton: each test captures into its own string and restores defaults.
// Secrets cannot be removed, so every test uses secrets of its own.
struct CapturedLog {
  std::string out;
  explicit CapturedLog(bool actions, bool verbose = false) {
    Log::get().reset_for_tests();
    Log::get().set_sink_for_tests(&out);
    Log::get().set_actions(actions);
    Log::get().set_verbose(verbose);
  }
  ~CapturedLog() {
    Log::get().set_sink_for_tests(nullptr);
    Log::get().set_actions(false);
    Log::get().set_verbose(false);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::vector<std::string> lines() const {
    auto all = split(out, '\n');
    if (!all.empty() && all.back().empty()) all.pop_back();
    return all;
  }
};

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("escape_command_data escapes % CR LF only", "[log]") {
  CHECK(escape_command_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b");
  CHECK(escape_command_data("") == "");
  CHECK(escape_command_data("%0A") == "%250A");  // an already-escaped look-alike stays literal
}

TEST_CASE("plain output formats", "[log]") {
  CapturedLog log(false);
  auto& l = Log::get();
  CHECK_FALSE(l.actions());
  l.info("Copied 3 blobs");
  l.warning("tag skipped");
  l.error("push failed", "Mirror failed");
  l.group_begin("linux/amd64");
  l.group_end();
  l.debug("hidden without verbose");
  l.set_verbose(true);
  CHECK(l.verbose());
  l.debug("GET /v2/");
  CHECK(log.lines() == Lines{"Copied 3 blobs", "warning: tag skipped", "error: push failed",
                             "== linux/amd64", "debug: GET /v2/"});
}

TEST_CASE("plain multi-line messages print every line", "[log]") {
  CapturedLog log(false);
  Log::get().info("first\nsecond\r\nthird\n");
  Log::get().error("denied\nhint: check the role");
  CHECK(log.lines() ==
        Lines{"first", "second", "third", "error: denied", "       hint: check the role"});
}

TEST_CASE("GitHub Actions workflow command formats", "[log]") {
  CapturedLog log(true);
  auto& l = Log::get();
  CHECK(l.actions());
  l.info("plain line");
  l.warning("rate limited");
  l.error("push failed", "Mirror failed");
  l.error("no title");
  l.group_begin("linux/arm64");
  l.group_end();
  l.debug("hidden");
  l.set_verbose(true);
  l.debug("shown");
  CHECK(log.lines() == Lines{"plain line", "::warning::rate limited",
                             "::error title=Mirror failed::push failed", "::error::no title",
                             "::group::linux/arm64", "::endgroup::", "debug: shown"});
}

TEST_CASE("Actions commands escape data and properties and stay on one line", "[log]") {
  CapturedLog log(true);
  auto& l = Log::get();
  l.error("100% failed:\nline two,\r\n", "Copy: a, b%\n");
  l.warning("w1\nw2");
  l.group_begin("50%\nx");
  CHECK(log.lines() == Lines{"::error title=Copy%3A a%2C b%25::100%25 failed:%0Aline two,",
                             "::warning::w1%0Aw2", "::group::50%25%0Ax"});
}

TEST_CASE("add-mask is printed under Actions before anything else", "[log]") {
  CapturedLog log(true);
  auto& l = Log::get();
  l.add_secret("tok-4f9a%2Fz");
  l.add_secret("tok-4f9a%2Fz");  // registered once
  l.add_secret("");              // ignored
  l.error("auth with tok-4f9a%2Fz rejected", "tok-4f9a%2Fz");
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  // The runner unescapes command data, so the '%' must be escaped to mask the real value.
  CHECK(lines[0] == "::add-mask::tok-4f9a%252Fz");
  CHECK(lines[1] == "::error title=***::auth with *** rejected");
  CHECK(l.redact("abc") == "abc");  // the empty secret masks nothing
}

TEST_CASE("add_secret prints nothing outside Actions but still redacts", "[log]") {
  CapturedLog log(false);
  auto& l = Log::get();
  l.add_secret("plain-secret-77");
  CHECK(log.out.empty());
  l.info("password=plain-secret-77;");
  CHECK(log.out == "password=***;\n");
}

TEST_CASE("secrets never reach any output line", "[log]") {
  const std::string secret = "AKIAEXAMPLE/wJalrXUtnFEMI";
  CapturedLog log(true, true);
  auto& l = Log::get();
  l.add_secret(secret);
  l.debug("key " + secret);
  l.info(secret + secret);
  l.warning("x" + secret + "\n" + secret);
  l.error(secret, secret);
  l.group_begin(secret);
  auto lines = log.lines();
  REQUIRE(lines.size() == 6);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(lines[i].find(secret) == std::string::npos);
    CHECK(lines[i].find("wJalr") == std::string::npos);
  }
  CHECK(lines[1] == "debug: key ***");
  CHECK(lines[2] == "***");  // adjacent occurrences collapse into one mask
  CHECK(lines[3] == "::warning::x***%0A***");
  CHECK(lines[4] == "::error title=***::***");
  CHECK(lines[5] == "::group::***");
}

TEST_CASE("redact handles nested and overlapping secrets", "[log]") {
  auto& l = Log::get();
  l.add_secret("pw-short");
  l.add_secret("pw-short-and-long");
  // The longer secret contains the shorter one: nothing of it may remain.
  CHECK(l.redact("a pw-short-and-long b pw-short c") == "a *** b *** c");
  l.add_secret("ovl-abcdef");
  l.add_secret("cdef-ovl-gh");
  // Overlapping occurrences: replacing one secret first would leave "-ovl-gh" visible.
  CHECK(l.redact("[ovl-abcdef-ovl-gh]") == "[***]");
  CHECK(l.redact("no secrets here") == "no secrets here");
  CHECK(l.redact("") == "");
}

TEST_CASE("a multi-line secret is redacted across lines", "[log]") {
  CapturedLog log(false);
  auto& l = Log::get();
  l.add_secret("ml-line-one\nml-line-two");
  l.info("begin ml-line-one\nml-line-two end");
  CHECK(log.out == "begin *** end\n");
}

TEST_CASE("concurrent logging keeps lines whole", "[log]") {
  CapturedLog log(true);
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) {
        Log::get().info("thread " + std::to_string(t) + " line " + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto lines = log.lines();
  REQUIRE(lines.size() == static_cast<std::size_t>(kThreads * kLines));
  for (const auto& line : lines) {
    REQUIRE(starts_with(line, "thread "));
    REQUIRE(line.find(" line ") != std::string::npos);
  }
}

TEST_CASE("server text cannot issue workflow commands under Actions", "[log]") {
  auto& log = ecrm::util::Log::get();
  log.reset_for_tests();
  std::string sink;
  log.set_sink_for_tests(&sink);
  log.set_actions(true);
  log.info("::set-output name=x::injected\n::add-mask::y");
  log.set_actions(false);
  log.set_sink_for_tests(nullptr);
  CHECK(sink == " ::set-output name=x::injected\n ::add-mask::y\n");
}
