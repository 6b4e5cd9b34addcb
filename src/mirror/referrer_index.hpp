#pragma once
// The destination side of referrers: what it lists for a subject, and the referrers tag schema
// index merged where it does not index subjects itself.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror::detail {

// What the destination lists for one subject: by the referrers API where it serves it, else the
// tag schema index.
class DestinationLister {
 public:
  DestinationLister(registry::Repository& destination, http::Client& client)
      : destination_(destination), client_(client) {}

  // The digests listed for `subject`; an error when they cannot be read (the caller then copies:
  // every write is idempotent).
  Expected<std::set<std::string>> listed(const std::string& subject);

 private:
  registry::Repository& destination_;
  http::Client& client_;
  bool api_absent_ = false;
  std::map<std::string, std::set<std::string>> cache_;
};

// §"Pushing Manifests with Subject", steps 1–6, for a registry that did not answer OCI-Subject:
// read the tag schema index, add what is missing, write it back conditionally (If-Match on what
// was read, If-None-Match when there was nothing), then read it again: a writer that replaced it
// in between (registries that ignore conditional requests) is merged with once more.
Status merge_tag_schema_index(registry::Repository& destination, http::Client& client,
                              const std::string& subject,
                              const std::vector<oci::Descriptor>& additions);

}  // namespace ecrm::mirror::detail
