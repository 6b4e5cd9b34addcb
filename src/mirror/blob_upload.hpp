#pragma once
// One blob from the source to the destination: GET on the worker's companion thread, streamed
// through a bounded pipe into the upload, SHA-256 and size checked as the bytes pass.
//
// The upload is the one containerd makes to ECR: POST, then a single PUT ?digest= carrying the
// whole body with Content-Length (monolithic; distribution spec §"Pushing a blob monolithically",
// POST then PUT). A registry that refuses that PUT gets POST, one PATCH with Content-Length (never
// chunked transfer encoding: public.ecr.aws stalls on it) and an empty PUT, from then on for the
// rest of the run. A broken attempt always starts a new POST session.
#include <optional>
#include <string>

#include "http/client.hpp"
#include "mirror/blob_copier.hpp"
#include "mirror/companion.hpp"
#include "mirror/pipe.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

// "sha256:" and the first 12 hex digits, for log lines.
std::string short_digest(const std::string& digest);

// One copy worker: an upload client on its own thread, a download client on its companion.
struct Worker {
  explicit Worker(const BlobCopyConfig& config)
      : upload(config.http), download(config.http), pipe(config.pipe_bytes, config.cancel) {}
  http::Client upload;
  http::Client download;
  BytePipe pipe;
  Companion companion;
};

class BlobUploader {
 public:
  BlobUploader(registry::Repository& source, registry::Repository& destination,
               const BlobCopyConfig& config)
      : source_(source), destination_(destination), config_(config) {}

  // `known`: what the destination said of this blob beforehand (a batched presence check), or
  // nullopt to ask it with a HEAD.
  Expected<BlobOutcome> copy(Worker& worker, const oci::Descriptor& blob,
                             std::optional<registry::BlobState> known);

 private:
  struct Attempt {
    Status status;
    bool retry = false;
    bool monolithic_refused = false;  // retry at once with PATCH
  };
  // Mount (from `mount_from` when not empty), else POST and stream, retried with backoff.
  Expected<BlobOutcome> transfer(Worker& worker, const oci::Descriptor& blob,
                                 std::string mount_from);
  Attempt stream(Worker& worker, const oci::Descriptor& blob, const std::string& location);
  void start_download(Worker& worker, const oci::Descriptor& blob,
                      std::optional<Error>& download_error);
  Attempt finish(Worker& worker, std::optional<Error>& download_error,
                 const Expected<http::Response>& sent, const std::string& what, bool monolithic);
  Attempt commit(Worker& worker, const oci::Descriptor& blob, const std::string& commit_url);
  bool landed(Worker& worker, const oci::Descriptor& blob);

  registry::Repository& source_;
  registry::Repository& destination_;
  const BlobCopyConfig& config_;
};

}  // namespace ecrm::mirror
