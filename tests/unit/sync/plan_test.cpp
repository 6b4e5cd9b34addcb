#include "sync/plan.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using ecrm::sync::assign_shards;
using ecrm::sync::Plan;
using ecrm::sync::PlannedJob;

namespace {

PlannedJob job(std::size_t order, std::string destination, std::uint64_t bytes,
               std::vector<std::string> blobs, bool copy = true) {
  PlannedJob j;
  j.order = order;
  j.source = "src/" + destination + ":1";
  j.destination = std::move(destination);
  j.digest = "sha256:" + std::string(64, 'a');
  j.needs_copy = copy;
  j.bytes = bytes;
  for (auto& b : blobs) j.blobs.emplace_back(b, bytes / std::max<std::size_t>(1, blobs.size()));
  return j;
}

}  // namespace

TEST_CASE("shards balance bytes and keep a destination repository together", "[plan]") {
  Plan plan;
  plan.jobs = {job(0, "d/a", 900, {"a1"}), job(1, "d/a", 900, {"a1"}), job(2, "d/b", 500, {"b1"}),
               job(3, "d/c", 400, {"c1"}), job(4, "d/e", 0, {}, false)};
  assign_shards(plan, 3);
  CHECK(plan.shards == 3);
  CHECK(plan.jobs[0].shard == plan.jobs[1].shard);
  std::set<int> used;
  for (const auto& j : plan.jobs)
    if (j.needs_copy) used.insert(j.shard);
  CHECK(used.size() == 3);
  for (const auto& j : plan.jobs) CHECK((j.shard >= 1 && j.shard <= 3));
}

TEST_CASE("images that share a base go together when the balance allows", "[plan]") {
  Plan plan;
  // Two big images that share nothing, two small ones sharing the first's base.
  plan.jobs = {job(0, "d/big1", 1000, {"base", "x"}), job(1, "d/big2", 1000, {"y", "z"}),
               job(2, "d/small1", 600, {"base", "s1"}), job(3, "d/small2", 600, {"base", "s2"})};
  assign_shards(plan, 2);
  CHECK(plan.jobs[0].shard != plan.jobs[1].shard);
  CHECK(plan.jobs[2].shard == plan.jobs[0].shard);
}

TEST_CASE("no more shards than groups with work; at most 256", "[plan]") {
  Plan plan;
  plan.jobs = {job(0, "d/a", 10, {"a"}), job(1, "d/b", 0, {}, false)};
  assign_shards(plan, 8);
  CHECK(plan.shards == 1);
  Plan many;
  for (std::size_t i = 0; i < 300; ++i)
    many.jobs.push_back(job(i, "d/" + std::to_string(i), 10, {std::to_string(i)}));
  assign_shards(many, 1000);
  CHECK(many.shards == 256);
}

TEST_CASE("a plan survives its JSON; --shard and the matrix", "[plan]") {
  Plan plan;
  plan.config_digest = "sha256:" + std::string(64, 'c');
  plan.jobs = {job(0, "d/a", 10, {"a"}), job(1, "d/b", 20, {"b"})};
  plan.jobs[1].error = "it failed";
  plan.stale = {{"d/a", {"old"}}};
  assign_shards(plan, 2);
  auto back = ecrm::sync::parse_plan(ecrm::sync::plan_json(plan), "p.json");
  REQUIRE(back);
  CHECK(back->config_digest == plan.config_digest);
  REQUIRE(back->jobs.size() == 2);
  CHECK(back->jobs[1].error == "it failed");
  CHECK(back->jobs[0].blobs == plan.jobs[0].blobs);
  CHECK(back->stale.front().tags == std::vector<std::string>{"old"});
  CHECK_FALSE(ecrm::sync::parse_plan("{}", "p.json"));
  CHECK(ecrm::sync::parse_shard("2/3").value() == std::pair{2, 3});
  for (const char* bad : {"0/3", "4/3", "1/257", "a/b", "1", "1/", "/2", "1/2/3"})
    CHECK_FALSE(ecrm::sync::parse_shard(bad));
  CHECK(ecrm::sync::matrix_json(2) == R"({"shard":["1/2","2/2"]})");
}
