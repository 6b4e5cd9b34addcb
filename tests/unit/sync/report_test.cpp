#include "sync/report.hpp"

#include <catch2/catch.hpp>
#include <string>

using ecrm::sync::JobReport;
using ecrm::sync::RunReport;

namespace {

JobReport job(std::size_t order, std::string status, std::vector<std::string> pushed = {}) {
  JobReport j;
  j.order = order;
  j.source = "src/app:" + std::to_string(order);
  j.destination = "dst/app";
  j.source_digest = "sha256:" + std::string(64, 'a');
  j.status = std::move(status);
  j.tags_pushed = std::move(pushed);
  j.bytes_copied = 100 * order;
  return j;
}

}  // namespace

TEST_CASE("a report survives its JSON", "[report]") {
  RunReport r;
  r.shard = "1/2";
  r.jobs = {job(0, "copied", {"1"}), job(1, "failed")};
  r.jobs[1].error = "it broke";
  r.stale = {{"dst/app", {"old"}}};
  CHECK(r.changed());
  CHECK(r.failed() == 1);
  auto back = ecrm::sync::parse_report(ecrm::sync::report_json(r), "r.json");
  REQUIRE(back);
  CHECK(back->shard == "1/2");
  REQUIRE(back->jobs.size() == 2);
  CHECK(back->jobs[1].error == "it broke");
  CHECK(back->jobs[0].tags_pushed == std::vector<std::string>{"1"});
  CHECK(back->jobs[1].bytes_copied == 100);
  CHECK(back->stale.front().tags.front() == "old");
  CHECK_FALSE(ecrm::sync::parse_report("[]", "r.json"));
  CHECK_FALSE(ecrm::sync::parse_report(R"({"version":1,"jobs":[{}]})", "r.json"));
}

TEST_CASE("merging shard reports orders by the run's order; a re-run shard replaces", "[report]") {
  RunReport a, b, again;
  a.jobs = {job(2, "copied"), job(0, "copied")};
  b.jobs = {job(1, "failed")};
  again.jobs = {job(1, "unchanged")};
  a.stale = {{"dst/x", {"b", "a"}}};
  b.stale = {{"dst/x", {"a"}}};
  auto merged = ecrm::sync::merge_reports({a, b});
  REQUIRE(merged.jobs.size() == 3);
  CHECK(merged.jobs[0].order == 0);
  CHECK(merged.jobs[2].order == 2);
  CHECK(merged.failed() == 1);
  CHECK(merged.stale.front().tags == std::vector<std::string>{"a", "b"});
  merged = ecrm::sync::merge_reports({a, b, again});
  CHECK(merged.failed() == 0);
  CHECK(merged.jobs[1].status == "unchanged");
}

TEST_CASE("lock files", "[report]") {
  const std::string digest = "sha256:" + std::string(64, 'b');
  auto back = ecrm::sync::parse_lock(ecrm::sync::lock_json({{"src/app:1", digest}}), "l.json");
  REQUIRE(back);
  CHECK(back->front().digest == digest);
  CHECK_FALSE(ecrm::sync::parse_lock(R"({"version":1,"images":[{"source":"a"}]})", "l.json"));
}
