#include "sync/job.hpp"

#include <set>

#include "config/selection.hpp"
#include "mirror/tag_template.hpp"

namespace ecrm::sync {

std::string Job::id() const {
  return source.str() + " -> " + destination.str();
}

Expected<Job> job_for(const config::Config& config, std::size_t index, const std::string& tag,
                      const std::vector<std::string>& default_templates,
                      const std::vector<oci::Platform>& default_platforms) {
  const auto& entry = config.entries.at(index);
  Job job;
  job.entry = index;
  job.source = entry.source;
  if (name::is_valid_digest(tag)) {
    job.source.tag.clear();
    job.source.digest = tag;
  } else if (!tag.empty()) {
    job.source.tag = tag;
    job.source.digest.clear();
  }
  auto destination = config::destination_for(entry, config.defaults);
  if (!destination) return destination.error();
  job.destination = std::move(*destination);
  job.tag_templates = !entry.tag_templates.empty()             ? entry.tag_templates
                      : !config.defaults.tag_templates.empty() ? config.defaults.tag_templates
                                                               : default_templates;
  job.platforms = entry.platforms                      ? *entry.platforms
                  : !config.defaults.platforms.empty() ? config.defaults.platforms
                                                       : default_platforms;
  if (auto valid = mirror::validate_tag_templates(job.tag_templates, job.source.tag); !valid)
    return make_error(ErrorKind::Usage,
                      entry.where + ": " + job.source.str() + ": " + valid.error().message,
                      valid.error().hint);
  return job;
}

Expansion expand_jobs(const config::Config& config,
                      const std::vector<std::string>& default_templates,
                      const std::vector<oci::Platform>& default_platforms,
                      const TagLister& list_tags) {
  Expansion out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.entries.size(); ++i) {
    const auto& entry = config.entries[i];
    auto fail = [&](const Error& error) {
      out.failures.push_back({i, entry.source.repository.str(), error});
    };
    std::vector<std::string> tags;
    if (!entry.source.tag.empty() || !entry.source.digest.empty()) {
      tags.push_back(entry.source.digest.empty() ? entry.source.tag : entry.source.digest);
    } else {
      std::vector<std::string> available;
      if (entry.by_pattern()) {
        auto listed = list_tags(entry.source.repository);
        if (!listed) {
          fail(make_error(listed.error().kind,
                          entry.where + ": listing the tags of " + entry.source.repository.str() +
                              ": " + listed.error().message,
                          listed.error().hint));
          continue;
        }
        available = std::move(*listed);
      }
      auto selected = config::select_tags(entry.selections, available);
      if (!selected) {
        fail(selected.error());
        continue;
      }
      tags = std::move(*selected);
      tags.insert(tags.end(), entry.digests.begin(), entry.digests.end());
      if (tags.empty()) out.selected_nothing.push_back(i);
    }
    std::vector<Job> jobs;
    bool failed = false;
    for (const auto& tag : tags) {
      auto job = job_for(config, i, tag, default_templates, default_platforms);
      if (!job) {
        fail(job.error());
        failed = true;
        break;
      }
      jobs.push_back(std::move(*job));
    }
    if (failed) continue;
    // Two entries naming the same copy would race for its tags: the first one wins.
    for (auto& job : jobs)
      if (seen.insert(job.id()).second) out.jobs.push_back(std::move(job));
  }
  return out;
}

}  // namespace ecrm::sync
