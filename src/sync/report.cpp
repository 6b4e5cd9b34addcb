#include "sync/report.hpp"

#include <algorithm>
#include <map>

#include "util/json.hpp"

namespace ecrm::sync {
namespace {

util::Json strings(const std::vector<std::string>& items) {
  auto array = util::Json::array();
  for (const auto& item : items) array.push(item);
  return array;
}

std::vector<std::string> strings_of(const util::Json* node) {
  std::vector<std::string> out;
  if (node && node->is_array())
    for (const auto& item : node->items()) out.push_back(item.as_string());
  return out;
}

util::Json count(std::uint64_t n) {
  return util::Json(static_cast<std::int64_t>(n));
}

std::uint64_t count_of(const util::Json& object, std::string_view key) {
  auto value = object.get_int(key);
  return value && *value > 0 ? static_cast<std::uint64_t>(*value) : 0;
}

Error bad_file(const std::string& path, const std::string& what) {
  return make_error(ErrorKind::Usage, path + ": " + what,
                    "give a file that ecr-mirror wrote (--report-file, --lock-file)");
}

}  // namespace

bool RunReport::changed() const {
  return std::any_of(jobs.begin(), jobs.end(), [](const JobReport& j) {
    return !j.tags_pushed.empty() || j.referrers_pushed > 0;
  });
}

std::size_t RunReport::failed() const {
  return static_cast<std::size_t>(std::count_if(
      jobs.begin(), jobs.end(), [](const JobReport& j) { return j.status == "failed"; }));
}

std::string report_json(const RunReport& report) {
  auto jobs = util::Json::array();
  std::uint64_t bytes = 0, copied = 0, present = 0, mounted = 0, referrers = 0;
  std::map<std::string, std::uint64_t> statuses;
  for (const auto& j : report.jobs) {
    auto o = util::Json::object();
    o.set("order", count(j.order)).set("entry", count(j.entry)).set("source", j.source);
    o.set("source_digest", j.source_digest).set("destination", j.destination);
    o.set("mirrored_digest", j.mirrored_digest).set("tags", strings(j.tags));
    o.set("tags_pushed", strings(j.tags_pushed)).set("status", j.status);
    if (!j.error.empty()) o.set("error", j.error);
    auto blobs = util::Json::object();
    blobs.set("copied", count(j.blobs_copied))
        .set("present", count(j.blobs_present))
        .set("mounted", count(j.blobs_mounted));
    o.set("bytes_copied", count(j.bytes_copied)).set("blobs", blobs);
    o.set("referrers_pushed", count(j.referrers_pushed)).set("requests", count(j.requests));
    o.set("seconds", j.seconds);
    jobs.push(o);
    bytes += j.bytes_copied, copied += j.blobs_copied, present += j.blobs_present;
    mounted += j.blobs_mounted, referrers += j.referrers_pushed;
    ++statuses[j.status];
  }
  auto stale = util::Json::array();
  for (const auto& s : report.stale) {
    auto o = util::Json::object();
    o.set("destination", s.destination).set("tags", strings(s.tags));
    stale.push(o);
  }
  auto totals = util::Json::object();
  totals.set("jobs", count(report.jobs.size()));
  for (const char* status : {"copied", "unchanged", "planned", "failed"})
    totals.set(status, count(statuses[status]));
  totals.set("bytes_copied", count(bytes)).set("blobs_copied", count(copied));
  totals.set("blobs_present", count(present)).set("blobs_mounted", count(mounted));
  totals.set("referrers_pushed", count(referrers)).set("requests", count(report.requests));
  totals.set("seconds", report.seconds);
  auto root = util::Json::object();
  root.set("version", 1).set("shard", report.shard).set("changed", report.changed());
  root.set("jobs", jobs).set("stale_tags", stale).set("totals", totals);
  return root.dump() + "\n";
}

Expected<RunReport> parse_report(const std::string& text, const std::string& path) {
  auto json = util::Json::parse(text);
  if (!json) return bad_file(path, "not JSON: " + json.error().message);
  if (!json->is_object() || json->get_int("version") != 1 || !json->find("jobs") ||
      !json->find("jobs")->is_array())
    return bad_file(path, "not an ecr-mirror report (version 1 with jobs)");
  RunReport report;
  report.shard = json->get_string("shard").value_or("");
  for (const auto& o : json->find("jobs")->items()) {
    JobReport j;
    j.order = count_of(o, "order");
    j.entry = count_of(o, "entry");
    j.source = o.get_string("source").value_or("");
    j.source_digest = o.get_string("source_digest").value_or("");
    j.destination = o.get_string("destination").value_or("");
    j.mirrored_digest = o.get_string("mirrored_digest").value_or("");
    j.tags = strings_of(o.find("tags"));
    j.tags_pushed = strings_of(o.find("tags_pushed"));
    j.status = o.get_string("status").value_or("");
    j.error = o.get_string("error").value_or("");
    j.bytes_copied = count_of(o, "bytes_copied");
    if (auto blobs = o.find("blobs"); blobs && blobs->is_object()) {
      j.blobs_copied = count_of(*blobs, "copied");
      j.blobs_present = count_of(*blobs, "present");
      j.blobs_mounted = count_of(*blobs, "mounted");
    }
    j.referrers_pushed = count_of(o, "referrers_pushed");
    j.requests = count_of(o, "requests");
    if (auto s = o.find("seconds"); s && s->is_number()) j.seconds = s->as_double();
    if (j.source.empty() || j.status.empty())
      return bad_file(path, "a job without source or status");
    report.jobs.push_back(std::move(j));
  }
  if (auto stale = json->find("stale_tags"); stale && stale->is_array())
    for (const auto& o : stale->items())
      report.stale.push_back(
          {o.get_string("destination").value_or(""), strings_of(o.find("tags"))});
  if (auto totals = json->find("totals"); totals && totals->is_object()) {
    report.requests = count_of(*totals, "requests");
    if (auto s = totals->find("seconds"); s && s->is_number()) report.seconds = s->as_double();
  }
  return report;
}

RunReport merge_reports(const std::vector<RunReport>& reports) {
  RunReport merged;
  std::map<std::pair<std::size_t, std::string>, JobReport> jobs;
  std::map<std::string, std::vector<std::string>> stale;
  for (const auto& r : reports) {
    for (const auto& j : r.jobs) jobs[{j.order, j.source + " -> " + j.destination}] = j;
    for (const auto& s : r.stale) {
      auto& tags = stale[s.destination];
      for (const auto& t : s.tags)
        if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    }
    merged.requests += r.requests;
    merged.seconds = std::max(merged.seconds, r.seconds);  // shards run side by side
  }
  for (auto& [key, job] : jobs) merged.jobs.push_back(std::move(job));
  for (auto& [destination, tags] : stale) {
    std::sort(tags.begin(), tags.end());
    merged.stale.push_back({destination, std::move(tags)});
  }
  return merged;
}

std::string lock_json(const std::vector<LockRecord>& records) {
  auto images = util::Json::array();
  for (const auto& r : records) {
    auto o = util::Json::object();
    o.set("source", r.source).set("digest", r.digest);
    images.push(o);
  }
  auto root = util::Json::object();
  root.set("version", 1).set("images", images);
  return root.dump() + "\n";
}

Expected<std::vector<LockRecord>> parse_lock(const std::string& text, const std::string& path) {
  auto json = util::Json::parse(text);
  if (!json) return bad_file(path, "not JSON: " + json.error().message);
  if (!json->is_object() || json->get_int("version") != 1 || !json->find("images") ||
      !json->find("images")->is_array())
    return bad_file(path, "not an ecr-mirror lock file (version 1 with images)");
  std::vector<LockRecord> records;
  for (const auto& o : json->find("images")->items()) {
    LockRecord r{o.get_string("source").value_or(""), o.get_string("digest").value_or("")};
    if (r.source.empty() || r.digest.rfind("sha256:", 0) != 0)
      return bad_file(path, "an image without source or sha256 digest");
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace ecrm::sync
