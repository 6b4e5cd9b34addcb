#pragma once
// One repository on a registry: the OCI distribution spec's endpoints as typed operations
// (spec §"Pulling manifests", §"Checking if content exists", §"Pushing blobs", §"Pushing
// manifests").
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "oci/manifest.hpp"
#include "registry/transport.hpp"
#include "util/expected.hpp"

namespace ecrm::registry {

struct ManifestHead {
  std::string digest;      // from Docker-Content-Digest; empty when the registry sent none
  std::string media_type;  // Content-Type
  std::int64_t size = -1;  // Content-Length, -1 when absent
};

struct ManifestData {
  std::string digest;  // sha256 of bytes, always computed here
  std::string media_type;
  std::string bytes;
};

enum class UploadStart { Mounted, Started };

// What a blob HEAD says. Unknown: the registry answered something other than 200 or 404 after
// one credential renewal (ECR Public answers every blob HEAD with 401, aws/containers-roadmap#2671;
// a HEAD redirected to a presigned object-store URL may be refused there). Uploads are idempotent,
// so an unknown blob is uploaded; a real credential problem then fails at the POST.
enum class BlobState { Present, Absent, Unknown };

struct UploadSession {
  UploadStart state = UploadStart::Started;
  std::string location;  // absolute URL of the upload session when Started
};

class Repository {
 public:
  Repository(std::shared_ptr<Transport> transport, std::string path, bool push);

  const std::string& path() const { return path_; }
  Transport& transport() { return *transport_; }
  std::string display() const { return transport_->host() + "/" + path_; }
  std::vector<std::string> scopes() const;

  // Every request of this repository's goes through here, so that a many-images run can tell
  // each image's requests apart on a shared Transport.
  Expected<http::Response> send(http::Client& client, Call& call);
  std::uint64_t request_count() const { return requests_.load(); }

  // nullopt when the manifest does not exist (404).
  Expected<std::optional<ManifestHead>> head_manifest(http::Client& client,
                                                      const std::string& reference);
  // Refuses bodies over 4 MiB; when `reference` is a digest the bytes must hash to it.
  Expected<ManifestData> get_manifest(http::Client& client, const std::string& reference);
  // The digest `reference` resolves to, "" when it does not exist. The spec makes
  // Docker-Content-Digest optional on HEAD; without it the manifest is read and hashed.
  Expected<std::string> resolve_digest(http::Client& client, const std::string& reference);
  // nullopt when the manifest does not exist (404).
  Expected<std::optional<ManifestData>> find_manifest(http::Client& client,
                                                      const std::string& reference);
  // Returns the OCI-Subject header ("" when absent): the registry indexed the manifest's subject
  // for the referrers API (distribution-spec 1.1 §"Pushing Manifests with Subject").
  Expected<std::string> put_manifest(http::Client& client, const std::string& reference,
                                     const std::string& media_type, const std::string& bytes,
                                     const http::Headers& extra_headers = {});

  // GET /v2/<path>/referrers/<digest> (distribution-spec 1.1 §"Listing Referrers"), every page.
  // nullopt: the registry does not serve the API (404; a registry that does never answers 404).
  Expected<std::optional<std::vector<oci::Descriptor>>> list_referrers(http::Client& client,
                                                                       const std::string& digest);
  // GET /v2/<path>/tags/list?n=1000 and its Link pages, at most `max_pages`. A repository that
  // does not exist has no tags.
  struct TagList {
    std::vector<std::string> tags;
    bool complete = true;  // false when cut at max_pages
  };
  Expected<TagList> list_tags(http::Client& client, std::size_t max_pages);

  // After the first Unknown, blob HEADs are not sent again in this run: on ECR Public each one
  // would cost a token renewal and still say nothing.
  Expected<BlobState> blob_state(http::Client& client, const std::string& digest);
  // POST /v2/<path>/blobs/uploads/, with ?mount=&from= when `mount_from` is given (spec §"Mounting
  // a blob from another repository"): 201 means mounted, 202 an upload session to fill.
  Expected<UploadSession> start_upload(http::Client& client, const std::string& digest,
                                       const std::string& mount_from);
  // Best effort: abandons an upload session after a failure.
  void cancel_upload(http::Client& client, const std::string& location);

  static std::string with_query(const std::string& url, const std::string& parameter);

 private:
  // The next page's target from a response's Link header; "" when it is the last. Error when the
  // link leaves the registry (credentials would follow it).
  Expected<std::string> next_page(const http::Response& response, const std::string& what) const;
  std::string url(const std::string& kind, const std::string& reference) const;

  std::shared_ptr<Transport> transport_;
  std::string path_;
  bool push_;
  std::atomic<bool> blob_head_unreliable_{false};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace ecrm::registry
