#pragma once
// Copies blobs from the source repository to the destination: skip what exists (one batched
// presence check where the destination has one, else a HEAD per blob), mount across repositories
// on one registry, else stream GET → upload with the SHA-256 checked as the bytes pass
// (mirror/blob_upload.hpp); several blobs in flight, each once.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "mirror/blob_ledger.hpp"
#include "oci/manifest.hpp"
#include "registry/repository.hpp"
#include "util/expected.hpp"

namespace ecrm::mirror {

enum class BlobOutcome { Present, Mounted, Copied };

struct BlobStats {
  std::uint64_t present = 0, mounted = 0, copied = 0;
  std::uint64_t bytes_copied = 0;
  std::uint64_t bytes_present = 0;  // already at the destination or mounted
};

// Says for many blobs at once whether the destination holds them, in the order asked (ECR's
// BatchCheckLayerAvailability). On an error (not allowed, not implemented, unavailable) each blob
// is HEADed instead; only cancellation stops the copy.
using BatchPresence = std::function<Expected<std::vector<registry::BlobState>>(
    const std::vector<std::string>& digests)>;

struct BlobCopyConfig {
  int concurrency = 16;
  bool dry_run = false;        // HEAD only: count what would be copied
  bool same_registry = false;  // source and destination share a host: try a mount first
  http::ClientConfig http;
  registry::RetryPolicy retry;
  const std::atomic<bool>* cancel = nullptr;
  std::size_t pipe_bytes = 64 * 1024;
  BatchPresence presence;  // empty: HEAD each blob
  // A many-images run's: blobs already copied to this registry in the run, and the transfers in
  // flight over all images (mirror/blob_ledger.hpp). Null for one image.
  std::shared_ptr<BlobLedger> ledger;
  std::shared_ptr<TransferBudget> budget;
};

// Copies every distinct blob in `blobs`. Stops starting new blobs after the first failure and
// returns that failure.
Expected<BlobStats> copy_blobs(registry::Repository& source, registry::Repository& destination,
                               const std::vector<oci::Descriptor>& blobs,
                               const BlobCopyConfig& config);

}  // namespace ecrm::mirror
