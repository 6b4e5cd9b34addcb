#pragma once
// A many-images run as the engine sees it: the config's entries expanded into one job per source
// tag (or digest) and destination, in the order written. Each job is one mirror::run_mirror.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "name/reference.hpp"
#include "oci/manifest.hpp"
#include "util/expected.hpp"

namespace ecrm::sync {

struct Job {
  std::size_t entry = 0;   // index in the config's images
  name::Reference source;  // tag, or digest for a digest pin
  name::Repository destination;
  std::vector<std::string> tag_templates;
  std::vector<oci::Platform> platforms;  // empty: all
  std::string pinned_digest;             // --locked or a plan: mirror exactly this
  // "registry-1.docker.io/library/node:22 -> host/mirror/node": stable, the key of reports, plans
  // and lock files.
  std::string id() const;
};

// The tags of a source repository (every page), for entries that select by pattern.
using TagLister = std::function<Expected<std::vector<std::string>>(const name::Repository&)>;

// An entry that produced no job: its tags could not be listed, or a template cannot be filled.
// It fails alone; the other entries run.
struct EntryFailure {
  std::size_t entry = 0;
  std::string source;
  Error error;
};

struct Expansion {
  std::vector<Job> jobs;
  std::vector<EntryFailure> failures;
  std::vector<std::size_t> selected_nothing;  // pattern entries that matched no tag
};

// `default_templates`: the command line's --tags (the config's defaults win over them).
Expansion expand_jobs(const config::Config& config,
                      const std::vector<std::string>& default_templates,
                      const std::vector<oci::Platform>& default_platforms,
                      const TagLister& list_tags);

// One entry's jobs, for an entry whose tags are known (a lock file, a plan).
Expected<Job> job_for(const config::Config& config, std::size_t entry, const std::string& tag,
                      const std::vector<std::string>& default_templates,
                      const std::vector<oci::Platform>& default_platforms);

}  // namespace ecrm::sync
