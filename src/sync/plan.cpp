#include "sync/plan.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>
#include <set>

#include "util/json.hpp"

namespace ecrm::sync {
namespace {

constexpr int kMaxShards = 256;  // GitHub Actions: "A matrix can generate a maximum of 256 jobs"

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

}  // namespace

void assign_shards(Plan& plan, int wanted) {
  const std::size_t n = plan.jobs.size();
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::map<std::string, std::size_t> first_into;
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, inserted] = first_into.emplace(plan.jobs[i].destination, i);
    if (!inserted) parent[find_root(parent, i)] = find_root(parent, it->second);
  }
  struct Group {
    std::vector<std::size_t> jobs;
    std::map<std::string, std::uint64_t> blobs;
    std::uint64_t bytes = 0;
    bool copies = false;
  };
  std::map<std::size_t, Group> groups;
  for (std::size_t i = 0; i < n; ++i) {
    auto& g = groups[find_root(parent, i)];
    g.jobs.push_back(i);
    g.copies = g.copies || plan.jobs[i].needs_copy;
    if (!plan.jobs[i].needs_copy) continue;
    g.bytes += plan.jobs[i].bytes + 1;  // +1: a job with nothing left to move still costs
    for (const auto& [digest, size] : plan.jobs[i].blobs) g.blobs[digest] = size;
  }
  std::vector<std::size_t> heavy, idle;
  for (const auto& [root, g] : groups) (g.copies ? heavy : idle).push_back(root);
  int shards = std::clamp(wanted, 1, kMaxShards);
  shards = std::min<int>(shards, static_cast<int>(std::max<std::size_t>(1, heavy.size())));
  plan.shards = shards;
  std::stable_sort(heavy.begin(), heavy.end(),
                   [&](std::size_t a, std::size_t b) { return groups[a].bytes > groups[b].bytes; });
  std::vector<std::uint64_t> load(static_cast<std::size_t>(shards), 0);
  std::vector<std::set<std::string>> reads(static_cast<std::size_t>(shards));
  for (auto root : heavy) {
    const auto& g = groups[root];
    std::size_t best = 0;
    std::uint64_t best_score = UINT64_MAX;
    for (std::size_t k = 0; k < load.size(); ++k) {
      std::uint64_t fresh = 0;
      for (const auto& [digest, size] : g.blobs)
        if (!reads[k].count(digest)) fresh += size;
      // Without blob sizes (an image that failed to resolve) its bytes stand in.
      const std::uint64_t cost = g.blobs.empty() ? g.bytes : fresh + 1;
      if (load[k] + cost < best_score) best_score = load[k] + cost, best = k;
    }
    load[best] = best_score;
    for (const auto& [digest, size] : g.blobs) reads[best].insert(digest);
    for (auto i : g.jobs) plan.jobs[i].shard = static_cast<int>(best) + 1;
  }
  for (std::size_t k = 0; k < idle.size(); ++k)
    for (auto i : groups[idle[k]].jobs)
      plan.jobs[i].shard = static_cast<int>(k % static_cast<std::size_t>(shards)) + 1;
}

std::string plan_json(const Plan& plan) {
  auto jobs = util::Json::array();
  for (const auto& j : plan.jobs) {
    auto o = util::Json::object();
    o.set("order", static_cast<std::int64_t>(j.order))
        .set("entry", static_cast<std::int64_t>(j.entry));
    o.set("source", j.source).set("destination", j.destination).set("digest", j.digest);
    o.set("needs_copy", j.needs_copy).set("bytes", static_cast<std::int64_t>(j.bytes));
    auto blobs = util::Json::array();
    for (const auto& [digest, size] : j.blobs) {
      auto b = util::Json::object();
      b.set("digest", digest).set("size", static_cast<std::int64_t>(size));
      blobs.push(b);
    }
    o.set("blobs", blobs);
    if (!j.error.empty()) o.set("error", j.error);
    o.set("shard", j.shard);
    jobs.push(o);
  }
  auto root = util::Json::object();
  root.set("version", 1).set("config_digest", plan.config_digest).set("shards", plan.shards);
  root.set("jobs", jobs);
  auto stale = util::Json::array();
  for (const auto& st : plan.stale) {
    auto o = util::Json::object();
    auto tags = util::Json::array();
    for (const auto& t : st.tags) tags.push(t);
    o.set("destination", st.destination).set("tags", tags);
    stale.push(o);
  }
  root.set("stale_tags", stale);
  return root.dump() + "\n";
}

Expected<Plan> parse_plan(const std::string& text, const std::string& path) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::Usage, path + ": " + why,
                      "give the file `ecr-mirror plan` wrote (--plan-file), unchanged");
  };
  auto json = util::Json::parse(text);
  if (!json) return bad("not JSON: " + json.error().message);
  if (!json->is_object() || json->get_int("version") != 1 || !json->find("jobs"))
    return bad("not an ecr-mirror plan (version 1 with jobs)");
  Plan plan;
  plan.config_digest = json->get_string("config_digest").value_or("");
  plan.shards = static_cast<int>(json->get_int("shards").value_or(1));
  if (plan.shards < 1 || plan.shards > kMaxShards) return bad("shards out of range");
  for (const auto& o : json->find("jobs")->items()) {
    PlannedJob j;
    j.order = static_cast<std::size_t>(o.get_int("order").value_or(0));
    j.entry = static_cast<std::size_t>(o.get_int("entry").value_or(0));
    j.source = o.get_string("source").value_or("");
    j.destination = o.get_string("destination").value_or("");
    j.digest = o.get_string("digest").value_or("");
    if (auto b = o.find("needs_copy"); b && b->is_bool()) j.needs_copy = b->as_bool();
    j.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, o.get_int("bytes").value_or(0)));
    if (auto blobs = o.find("blobs"); blobs && blobs->is_array())
      for (const auto& b : blobs->items())
        j.blobs.emplace_back(
            b.get_string("digest").value_or(""),
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, b.get_int("size").value_or(0))));
    j.error = o.get_string("error").value_or("");
    j.shard = static_cast<int>(o.get_int("shard").value_or(0));
    if (j.source.empty() || j.shard < 1 || j.shard > plan.shards)
      return bad("a job without a source or with a shard outside 1.." +
                 std::to_string(plan.shards));
    plan.jobs.push_back(std::move(j));
  }
  if (auto stale = json->find("stale_tags"); stale && stale->is_array()) {
    for (const auto& o : stale->items()) {
      StaleTags st{o.get_string("destination").value_or(""), {}};
      if (auto tags = o.find("tags"); tags && tags->is_array())
        for (const auto& t : tags->items()) st.tags.push_back(t.as_string());
      plan.stale.push_back(std::move(st));
    }
  }
  return plan;
}

Expected<std::pair<int, int>> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  int k = 0, n = 0;
  auto number = [](std::string_view s, int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), k) ||
      !number(std::string_view(text).substr(slash + 1), n) || k < 1 || n < 1 || k > n ||
      n > kMaxShards)
    return make_error(ErrorKind::Usage, "--shard \"" + text + "\" is not K/N (1 <= K <= N <= 256)",
                      "pass the matrix value the plan printed, e.g. --shard ${{ matrix.shard }}");
  return std::pair{k, n};
}

std::string matrix_json(int shards) {
  auto list = util::Json::array();
  for (int k = 1; k <= shards; ++k) list.push(std::to_string(k) + "/" + std::to_string(shards));
  auto root = util::Json::object();
  root.set("shard", list);
  return root.dump();
}

}  // namespace ecrm::sync
