#include "cli/options.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mirror/tag_template.hpp"

namespace fs = std::filesystem;
using ecrm::ErrorKind;
using ecrm::cli::Action;
using ecrm::cli::EnvLookup;
using ecrm::cli::parse_options;
using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

namespace {

// Returns values verbatim, "" included: parse_options itself must treat "" as unset, because the
// runner passes every declared input.
EnvLookup lookup(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

ecrm::Expected<ecrm::cli::Parsed> run(const Args& args, const Env& env = {}) {
  std::vector<const char*> argv{"ecr-mirror"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data(), lookup(env));
}

Args with_required(Args extra) {
  Args args{"--source", "alpine:3.20", "--destination", "localhost:5000/mirror/alpine"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ecrm-options-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const fs::path& relative, const std::string& text) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative) << text;
    return path / relative;
  }
};

}  // namespace

TEST_CASE("defaults apply when only source and destination are given", "[options]") {
  auto parsed = run(with_required({}));
  REQUIRE(parsed.ok());
  CHECK(parsed->action == Action::Run);
  const auto& o = parsed->options;
  CHECK(o.source.repository.registry == "registry-1.docker.io");
  CHECK(o.source.repository.path == "library/alpine");
  CHECK(o.source.tag == "3.20");
  CHECK(o.destination.registry == "localhost:5000");
  CHECK(o.destination.path == "mirror/alpine");
  CHECK(o.tag_templates == ecrm::mirror::kDefaultTagTemplates);
  CHECK(o.platforms.empty());
  CHECK_FALSE(o.dry_run);
  CHECK_FALSE(o.force);
  CHECK_FALSE(o.verbose);
  CHECK_FALSE(o.create_repository);
  CHECK(o.concurrency == 16);
  CHECK(o.insecure_registries.empty());
  CHECK(o.source_username.empty());
  CHECK(o.destination_password.empty());
  CHECK(o.docker_config.empty());
  CHECK_FALSE(o.docker_config_explicit);
  CHECK(o.output_file.empty());
  CHECK(o.connect_timeout_seconds == 30);
  CHECK(o.stall_timeout_seconds == 60);
  CHECK(o.timeout_seconds == 3600);
  CHECK(o.retry_seconds == 120);
  CHECK(o.role_to_assume.empty());
  CHECK(o.aws_region == "us-east-1");
  CHECK(o.role_session_name == "GitHubActions");
  CHECK(o.role_duration_seconds == 3600);
  CHECK(o.audience == "sts.amazonaws.com");
  CHECK(o.destination_type == "auto");
}

TEST_CASE("every option can come from INPUT_ variables", "[options]") {
  TempDir dir;
  auto config = dir.write("cfg/config.json", "{}");
  Env env{
      {"INPUT_SOURCE", "ghcr.io/acme/app@sha256:" + std::string(64, 'a')},
      {"INPUT_DESTINATION", "public.ecr.aws/x1y2/app"},
      {"INPUT_TAGS", "stable-{digest12}\n{digest}"},
      {"INPUT_PLATFORMS", "linux/amd64,linux/arm64/v8"},
      {"INPUT_DRY-RUN", "true"},
      {"INPUT_FORCE", "YES"},
      {"INPUT_CONCURRENCY", "64"},
      {"INPUT_INSECURE-REGISTRIES", "LocalHost:5000, 127.0.0.1:5001"},
      {"INPUT_SOURCE-USERNAME", "alice"},
      {"INPUT_SOURCE-PASSWORD", " pass word "},
      {"INPUT_DESTINATION-USERNAME", "AWS"},
      {"INPUT_DESTINATION-PASSWORD", "tok"},
      {"INPUT_DOCKER-CONFIG", config.string()},
      {"INPUT_OUTPUT-FILE", (dir.path / "out.txt").string()},
      {"INPUT_CONNECT-TIMEOUT", "600"},
      {"INPUT_STALL-TIMEOUT", "1"},
      {"INPUT_TIMEOUT", "86400"},
      {"INPUT_RETRY-TIME", "0"},
      {"INPUT_VERBOSE", "1"},
      {"INPUT_ROLE-TO-ASSUME", "arn:aws-us-gov:iam::123456789012:role/path/Mirror+Role"},
      {"INPUT_AWS-REGION", "us-gov-west-1"},
      {"INPUT_ROLE-SESSION-NAME", "a.b@c=d,e+f-g_h"},
      {"INPUT_ROLE-DURATION-SECONDS", "43200"},
      {"INPUT_AUDIENCE", "my-audience"},
      {"INPUT_DESTINATION-TYPE", "ECR-Public"},
      {"INPUT_CREATE-REPOSITORY", "on"},
  };
  // "on" is not a boolean: fix it to check the rest, after confirming it is rejected.
  auto bad = run({}, env);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("INPUT_CREATE-REPOSITORY") != std::string::npos);
  env["INPUT_CREATE-REPOSITORY"] = "True";

  auto parsed = run({}, env);
  REQUIRE(parsed.ok());
  const auto& o = parsed->options;
  CHECK(o.source.repository.str() == "ghcr.io/acme/app");
  CHECK(o.source.tag.empty());
  CHECK(o.destination.str() == "public.ecr.aws/x1y2/app");
  CHECK(o.tag_templates == std::vector<std::string>{"stable-{digest12}", "{digest}"});
  REQUIRE(o.platforms.size() == 2);
  CHECK(o.platforms[0].str() == "linux/amd64");
  CHECK(o.platforms[1].str() == "linux/arm64/v8");
  CHECK(o.dry_run);
  CHECK(o.force);
  CHECK(o.concurrency == 64);
  CHECK(o.insecure_registries == std::vector<std::string>{"localhost:5000", "127.0.0.1:5001"});
  CHECK(o.source_username == "alice");
  CHECK(o.source_password == " pass word ");  // secrets are kept verbatim
  CHECK(o.destination_username == "AWS");
  CHECK(o.destination_password == "tok");
  CHECK(o.docker_config == config.string());
  CHECK(o.docker_config_explicit);
  CHECK(o.output_file == (dir.path / "out.txt").string());
  CHECK(o.connect_timeout_seconds == 600);
  CHECK(o.stall_timeout_seconds == 1);
  CHECK(o.timeout_seconds == 86400);
  CHECK(o.retry_seconds == 0);
  CHECK(o.verbose);
  CHECK(o.role_to_assume == "arn:aws-us-gov:iam::123456789012:role/path/Mirror+Role");
  CHECK(o.aws_region == "us-gov-west-1");
  CHECK(o.role_session_name == "a.b@c=d,e+f-g_h");
  CHECK(o.role_duration_seconds == 43200);
  CHECK(o.audience == "my-audience");
  CHECK(o.destination_type == "ecr-public");
  CHECK(o.create_repository);
}

TEST_CASE("a flag wins over the environment", "[options]") {
  Env env{{"INPUT_SOURCE", "busybox:1"},
          {"INPUT_CONCURRENCY", "4"},
          {"INPUT_DRY-RUN", "false"},
          {"INPUT_AWS-REGION", "eu-west-1"},
          {"INPUT_TAGS", "{tag}"},
          {"INPUT_DESTINATION", "localhost:1/env"},
          {"INPUT_DESTINATION-TYPE", "registry"}};
  auto parsed = run({"--source", "alpine:3.20", "--concurrency", "12", "--dry-run", "--aws-region",
                     "cn-north-1", "--destination", "localhost:2/flag"},
                    env);
  REQUIRE(parsed.ok());
  const auto& o = parsed->options;
  CHECK(o.source.repository.path == "library/alpine");
  CHECK(o.destination.str() == "localhost:2/flag");
  CHECK(o.concurrency == 12);
  CHECK(o.dry_run);
  CHECK(o.aws_region == "cn-north-1");
  // Not given as flags: the environment still applies.
  CHECK(o.tag_templates == std::vector<std::string>{"{tag}"});
  CHECK(o.destination_type == "registry");
}

TEST_CASE("empty or blank environment values count as unset", "[options]") {
  Env env{{"INPUT_CONCURRENCY", ""},    {"INPUT_TAGS", ""},          {"INPUT_AWS-REGION", "  "},
          {"INPUT_DRY-RUN", ""},        {"INPUT_PLATFORMS", ""},     {"INPUT_AUDIENCE", ""},
          {"INPUT_ROLE-TO-ASSUME", ""}, {"INPUT_DOCKER-CONFIG", ""}, {"INPUT_SOURCE", ""},
          {"INPUT_OUTPUT-FILE", ""}};
  auto parsed = run(with_required({}), env);
  REQUIRE(parsed.ok());
  const auto& o = parsed->options;
  CHECK(o.concurrency == 16);
  CHECK(o.tag_templates == ecrm::mirror::kDefaultTagTemplates);
  CHECK(o.aws_region == "us-east-1");
  CHECK_FALSE(o.dry_run);
  CHECK(o.platforms.empty());
  CHECK(o.audience == "sts.amazonaws.com");
  CHECK(o.role_to_assume.empty());
  CHECK_FALSE(o.docker_config_explicit);

  auto missing = run({"--destination", "localhost:5000/x"}, env);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::Usage);
  CHECK(missing.error().message.find("--source") != std::string::npos);
}

TEST_CASE("boolean environment values", "[options]") {
  auto [text, expected] = GENERATE(table<std::string, bool>({{"true", true},
                                                             {"TRUE", true},
                                                             {"Yes", true},
                                                             {"1", true},
                                                             {"false", false},
                                                             {"False", false},
                                                             {"no", false},
                                                             {"0", false},
                                                             {" true\n", true}}));
  auto parsed = run(with_required({}), {{"INPUT_FORCE", text}, {"INPUT_VERBOSE", text}});
  REQUIRE(parsed.ok());
  CHECK(parsed->options.force == expected);
  CHECK(parsed->options.verbose == expected);
}

TEST_CASE("platforms: all, lists and duplicates", "[options]") {
  for (const char* all : {"all", "ALL", " All "}) {
    auto parsed = run(with_required({"--platforms", all}));
    REQUIRE(parsed.ok());
    CHECK(parsed->options.platforms.empty());
  }
  auto parsed = run(with_required({"--platforms", "linux/amd64, linux/arm/v7\nlinux/amd64"}));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->options.platforms.size() == 2);
  CHECK(parsed->options.platforms[0].architecture == "amd64");
  CHECK(parsed->options.platforms[1].variant == "v7");
}

struct BadCase {
  Args args;
  Env env;
  std::string expected;  // a substring of the message: the offending value or variable
};

TEST_CASE("invalid inputs are usage errors naming the value", "[options]") {
  const std::string digest_source = "alpine@sha256:" + std::string(64, 'b');
  const std::string long_session(65, 's');
  auto bad = GENERATE_COPY(values<BadCase>({
      {with_required({"--concurrency", "0"}), {}, "\"0\""},
      {with_required({"--concurrency", "65"}), {}, "\"65\""},
      {with_required({"--concurrency", "abc"}), {}, "\"abc\""},
      {with_required({}), {{"INPUT_CONCURRENCY", "-3"}}, "INPUT_CONCURRENCY \"-3\""},
      {with_required({"--connect-timeout", "0"}), {}, "--connect-timeout \"0\""},
      {with_required({"--connect-timeout", "601"}), {}, "\"601\""},
      {with_required({"--stall-timeout", "3601"}), {}, "\"3601\""},
      {with_required({"--timeout", "86401"}), {}, "\"86401\""},
      {with_required({"--timeout", "0"}), {}, "--timeout \"0\""},
      {with_required({"--retry-time", "3601"}), {}, "\"3601\""},
      {with_required({"--retry-time", "1.5"}), {}, "\"1.5\""},
      {with_required({"--role-duration-seconds", "899"}), {}, "\"899\""},
      {with_required({"--role-duration-seconds", "43201"}), {}, "\"43201\""},
      {with_required({"--role-duration-seconds", "99999999999999999999999"}),
       {},
       "99999999999999999999999"},
      {with_required({"--role-session-name", "a"}), {}, "\"a\""},
      {with_required({"--role-session-name", "bad name!"}), {}, "bad name!"},
      {with_required({"--role-session-name", long_session}), {}, long_session},
      {with_required({"--aws-region", "US-EAST-1"}), {}, "US-EAST-1"},
      {with_required({"--aws-region", "useast1"}), {}, "useast1"},
      {with_required({}), {{"INPUT_AWS-REGION", "us-east"}}, "INPUT_AWS-REGION \"us-east\""},
      {with_required({"--role-to-assume", "arn:aws:iam::12345:role/x"}), {}, "12345"},
      {with_required({"--role-to-assume", "arn:aws:iam::123456789012:user/x"}), {}, "user/x"},
      {with_required({"--role-to-assume", "MirrorRole"}), {}, "MirrorRole"},
      {with_required({"--destination-type", "ecr-private"}), {}, "ecr-private"},
      {with_required({"--audience", ""}), {}, "--audience \"\""},
      {with_required({"--insecure-registries", "http://localhost:5000"}),
       {},
       "http://localhost:5000"},
      {with_required({"--insecure-registries", "ok:5000,bad host!"}), {}, "bad host!"},
      {with_required({"--platforms", "linux"}), {}, "linux"},
      {with_required({"--platforms", ","}), {}, "\",\""},
      {with_required({"--tags", "{nope}"}), {}, "{nope}"},
      {with_required({"--tags", "{tag"}), {}, "{tag"},
      {with_required({"--tags", ",\n"}), {}, "--tags"},
      {{"--source", digest_source, "--destination", "localhost:5000/x"}, {}, digest_source},
      {{"--source", digest_source, "--destination", "localhost:5000/x", "--tags", "a-{tag}"},
       {},
       "a-{tag}"},
      {{"--source", "UPPER/Case", "--destination", "localhost:5000/x"}, {}, "UPPER/Case"},
      {{"--source", "alpine", "--destination", "localhost:5000/x:tag"}, {}, "localhost:5000/x:tag"},
      {{"--source", "alpine", "--destination", digest_source}, {}, digest_source},
      {{"--source", "alpine"}, {}, "--destination"},
      {{"--destination", "localhost:5000/x"}, {}, "--source"},
      {with_required({}),
       {{"INPUT_DRY-RUN", "maybe"}},
       "INPUT_DRY-RUN must be true or false, got \"maybe\""},
      {with_required({}), {{"INPUT_FORCE", "2"}}, "INPUT_FORCE"},
      {with_required({"--docker-config", "/nonexistent/config.json"}),
       {},
       "/nonexistent/config.json"},
      {with_required({}), {{"INPUT_DOCKER-CONFIG", "/"}}, "INPUT_DOCKER-CONFIG \"/\""},
      {with_required({"--output-file", "/nonexistent-dir/out"}), {}, "/nonexistent-dir/out"},
      {with_required({}),
       {{"GITHUB_OUTPUT", "/nonexistent-dir/gh"}},
       "GITHUB_OUTPUT \"/nonexistent-dir/gh\""},
      {with_required({"--nope"}), {}, "--nope"},
      {with_required({"extra"}), {}, "\"extra\""},
      {{"--destination", "localhost:5000/x", "--source"}, {}, "--source"},
      {{"--source", "--dry-run", "--destination", "localhost:5000/x"}, {}, "--source is missing"},
      {with_required({"--dry-run=true"}), {}, "dry-run"},
      {with_required({"--dest", "x"}), {}, "--dest"},
      {with_required({"--source", "busybox"}), {}, "source"},
  }));
  CAPTURE(bad.args, bad.expected);
  auto parsed = run(bad.args, bad.env);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::Usage);
  CHECK(parsed.error().message.find(bad.expected) != std::string::npos);
  CHECK_FALSE(parsed.error().hint.empty());
}

TEST_CASE("errors never echo a password", "[options]") {
  Env env{{"INPUT_SOURCE-PASSWORD", "s3cret-src"}, {"INPUT_DESTINATION-PASSWORD", "s3cret-dst"}};
  auto parsed = run(with_required({"--concurrency", "0"}), env);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message.find("s3cret") == std::string::npos);
  auto missing = run(with_required({"--source-password", "--verbose"}));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("--source-password is missing") != std::string::npos);
}

TEST_CASE("docker-config default resolution", "[options]") {
  TempDir dir;
  auto home_config = dir.write("home/.docker/config.json", "{}");
  auto env_config = dir.write("dc/config.json", "{}");
  fs::create_directories(dir.path / "empty-dc");

  SECTION("DOCKER_CONFIG wins over HOME") {
    auto parsed = run(with_required({}), {{"DOCKER_CONFIG", (dir.path / "dc").string()},
                                          {"HOME", (dir.path / "home").string()}});
    REQUIRE(parsed.ok());
    CHECK(parsed->options.docker_config == env_config.string());
    CHECK_FALSE(parsed->options.docker_config_explicit);
  }
  SECTION("HOME/.docker/config.json when DOCKER_CONFIG is unset or empty") {
    auto parsed =
        run(with_required({}), {{"DOCKER_CONFIG", ""}, {"HOME", (dir.path / "home").string()}});
    REQUIRE(parsed.ok());
    CHECK(parsed->options.docker_config == home_config.string());
    CHECK_FALSE(parsed->options.docker_config_explicit);
  }
  SECTION("DOCKER_CONFIG without config.json means none, as docker does") {
    auto parsed = run(with_required({}), {{"DOCKER_CONFIG", (dir.path / "empty-dc").string()},
                                          {"HOME", (dir.path / "home").string()}});
    REQUIRE(parsed.ok());
    CHECK(parsed->options.docker_config.empty());
  }
  SECTION("no file anywhere is fine") {
    auto parsed = run(with_required({}), {{"HOME", (dir.path / "nohome").string()}});
    REQUIRE(parsed.ok());
    CHECK(parsed->options.docker_config.empty());
  }
  SECTION("an explicit flag beats the defaults and must exist") {
    auto parsed = run(with_required({"--docker-config", env_config.string()}),
                      {{"HOME", (dir.path / "home").string()}});
    REQUIRE(parsed.ok());
    CHECK(parsed->options.docker_config == env_config.string());
    CHECK(parsed->options.docker_config_explicit);
    auto missing = run(with_required({"--docker-config", (dir.path / "none.json").string()}));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::Usage);
  }
}

TEST_CASE("output-file resolution", "[options]") {
  TempDir dir;
  const std::string github_output = (dir.path / "gh_output").string();
  auto from_env = run(with_required({}), {{"GITHUB_OUTPUT", github_output}});
  REQUIRE(from_env.ok());
  CHECK(from_env->options.output_file == github_output);

  auto empty_flag = run(with_required({"--output-file", ""}), {{"GITHUB_OUTPUT", github_output}});
  REQUIRE(empty_flag.ok());
  CHECK(empty_flag->options.output_file.empty());

  auto empty_input =
      run(with_required({}), {{"INPUT_OUTPUT-FILE", ""}, {"GITHUB_OUTPUT", github_output}});
  REQUIRE(empty_input.ok());
  CHECK(empty_input->options.output_file == github_output);

  auto relative = run(with_required({"--output-file", "outputs.txt"}));
  REQUIRE(relative.ok());
  CHECK(relative->options.output_file == "outputs.txt");

  auto directory = run(with_required({"--output-file", dir.path.string()}));
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().kind == ErrorKind::Usage);
}

TEST_CASE("the help flag lists every option, grouped, without needing other inputs", "[options]") {
  for (const char* flag : {"--help", "-h"}) {
    auto parsed = run({flag}, {{"INPUT_CONCURRENCY", "999"}});
    REQUIRE(parsed.ok());
    CHECK(parsed->action == Action::Help);
    const auto& text = parsed->text;
    CHECK(text.rfind("Usage: ecr-mirror", 0) == 0);
    for (const char* group :
         {"Mirror:", "Registry credentials:", "Network:", "AWS:", "Output:", "Many images"}) {
      CHECK(text.find(std::string("\n") + group) != std::string::npos);
    }
    for (const auto& name : ecrm::cli::option_names()) {
      CAPTURE(name);
      auto at = text.find("  --" + name + " ");
      REQUIRE(at != std::string::npos);
      auto line = text.substr(at, text.find('\n', at) - at);
      CHECK(line.find("(default: ") != std::string::npos);
      if (name == "source" || name == "destination")
        CHECK(line.find("required without --config") != std::string::npos);
    }
    CHECK(text.find("--version") != std::string::npos);
    CHECK(text.find("(default: 16)") != std::string::npos);
    CHECK(text.find("INPUT_") != std::string::npos);
  }
}

TEST_CASE("the version flag prints the program name and version", "[options]") {
  auto parsed = run({"--version"});
  REQUIRE(parsed.ok());
  CHECK(parsed->action == Action::Version);
  REQUIRE(parsed->text.rfind("ecr-mirror ", 0) == 0);
  CHECK(parsed->text.size() > std::string("ecr-mirror \n").size());
  CHECK(parsed->text.back() == '\n');
}

TEST_CASE("option_names is the stable list of long names", "[options]") {
  auto names = ecrm::cli::option_names();
  REQUIRE(names.size() == 48);
  CHECK(names.front() == "source");
  CHECK(names[1] == "destination");
  CHECK(names[27] == "create-repository");
  CHECK(names[37] == "repository-usage");
  CHECK(names.back() == "reports");
  CHECK(std::find(names.begin(), names.end(), "help") == names.end());
  CHECK(std::find(names.begin(), names.end(), "version") == names.end());
  CHECK(std::find(names.begin(), names.end(), "role-to-assume") != names.end());
  CHECK(names == ecrm::cli::option_names());
}

TEST_CASE("process_env maps empty values to unset", "[options]") {
  auto env = ecrm::cli::process_env();
  ::setenv("ECRM_OPTIONS_TEST_SET", "value", 1);
  ::setenv("ECRM_OPTIONS_TEST_EMPTY", "", 1);
  ::unsetenv("ECRM_OPTIONS_TEST_UNSET");
  CHECK(env("ECRM_OPTIONS_TEST_SET") == std::optional<std::string>("value"));
  CHECK_FALSE(env("ECRM_OPTIONS_TEST_EMPTY").has_value());
  CHECK_FALSE(env("ECRM_OPTIONS_TEST_UNSET").has_value());
  ::unsetenv("ECRM_OPTIONS_TEST_SET");
  ::unsetenv("ECRM_OPTIONS_TEST_EMPTY");
}

TEST_CASE("a doubled separator in a list is an error, a trailing one is not", "[options]") {
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--platforms", "linux/amd64,,linux/arm64"},
           {"--tags", "{tag}, ,extra"},
           {"--insecure-registries", "a:5000,\n,b:5000"}}) {
    auto parsed = run(with_required({option, value}));
    INFO(option << " " << value);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ecrm::ErrorKind::Usage);
    CHECK(parsed.error().message.find("empty item") != std::string::npos);
  }
  auto trailing = run(with_required({"--platforms", "linux/amd64,linux/arm64\n"}));
  REQUIRE(trailing.ok());
  CHECK(trailing->options.platforms.size() == 2);
}

TEST_CASE("a Basic username with ':' is refused without echoing the password", "[options]") {
  auto parsed =
      run(with_required({"--source-username", "bot:team", "--source-password", "s3cr3t"}));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ecrm::ErrorKind::Usage);
  CHECK(parsed.error().message.find("bot:team") != std::string::npos);
  CHECK(parsed.error().message.find("s3cr3t") == std::string::npos);
  CHECK(parsed.error().hint.find("s3cr3t") == std::string::npos);
}

TEST_CASE("repository settings for --create-repository", "[options]") {
  auto defaults = run(with_required({}));
  REQUIRE(defaults.ok());
  const auto& d = defaults->options.repository;
  CHECK(d.tag_mutability == "MUTABLE");
  CHECK(d.encryption == "AES256");
  CHECK(d.scan_on_push);
  CHECK(d.mutability_exclusions.empty());
  CHECK(d.lifecycle_policy.empty());

  auto full = run(
      with_required({"--create-repository", "--image-tag-mutability", "immutable_with_exclusion",
                     "--immutable-tag-exclusions", "noble,dev-*", "--encryption", "KMS",
                     "--kms-key", "alias/m", "--scan-on-push", "false", "--repository-tags",
                     "team=platform\ncost-center=42", "--repository-about", "# About"}));
  REQUIRE(full.ok());
  const auto& r = full->options.repository;
  CHECK(r.create);
  CHECK(r.tag_mutability == "IMMUTABLE_WITH_EXCLUSION");
  CHECK(r.mutability_exclusions == std::vector<std::string>{"noble", "dev-*"});
  CHECK(r.encryption == "KMS");
  CHECK(r.kms_key == "alias/m");
  CHECK_FALSE(r.scan_on_push);
  REQUIRE(r.resource_tags.size() == 2);
  CHECK(r.resource_tags[1] == std::pair<std::string, std::string>{"cost-center", "42"});
  CHECK(r.about == "# About");

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--image-tag-mutability", "sometimes"},
           {"--immutable-tag-exclusions", "noble"},  // needs a *_WITH_EXCLUSION mode
           {"--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION", "--immutable-tag-exclusions",
            "a,b,c,d,e,f"},
           {"--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION", "--immutable-tag-exclusions",
            "no/slash"},
           {"--encryption", "rot13"},
           {"--kms-key", "alias/m"},  // without KMS
           {"--scan-on-push", "maybe"},
           {"--repository-tags", "novalue"},
           {"--repository-tags", "aws:reserved=x"},
           {"--lifecycle-policy", "/nonexistent/policy.json"},
           {"--repository-description", std::string(1025, 'd')}}) {
    auto parsed = run(with_required(bad));
    INFO(bad.front() << " " << bad.back().substr(0, 40));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ecrm::ErrorKind::Usage);
    CHECK(parsed.error().message.find(bad.size() > 2 ? bad[2] : bad.front()) != std::string::npos);
    CHECK_FALSE(parsed.error().hint.empty());
  }
}
