#include "mirror/blob_copier.hpp"

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "mirror/blob_upload.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::mirror {
namespace {

// The batched answer, one entry per blob, or nothing when the destination has no such call or
// it failed.
Expected<std::vector<std::optional<registry::BlobState>>> batch_states(
    const std::vector<oci::Descriptor>& blobs, const BlobCopyConfig& config) {
  std::vector<std::optional<registry::BlobState>> states(blobs.size());
  if (!config.presence || blobs.empty()) return states;
  std::vector<std::string> digests;
  for (const auto& blob : blobs) digests.push_back(blob.digest);
  auto answer = config.presence(digests);
  if (!answer) {
    // The check only saves requests: whatever it failed with (not allowed, not implemented,
    // unavailable after its retries), the registry can still be asked blob by blob. A missing
    // repository then shows at the upload, with its own advice.
    if (answer.error().kind == ErrorKind::Cancelled) return answer.error();
    util::Log::get().info(std::string(answer.error().kind == ErrorKind::Auth
                                          ? "batched presence check not allowed"
                                          : "batched presence check failed") +
                          " (" + answer.error().message + "); asking with a HEAD per blob instead");
    return states;
  }
  for (std::size_t i = 0; i < blobs.size() && i < answer->size(); ++i) states[i] = (*answer)[i];
  return states;
}

}  // namespace

Expected<BlobStats> copy_blobs(registry::Repository& source, registry::Repository& destination,
                               const std::vector<oci::Descriptor>& blobs,
                               const BlobCopyConfig& config) {
  std::vector<oci::Descriptor> unique;
  std::set<std::string> seen;
  for (const auto& blob : blobs)
    if (seen.insert(blob.digest).second) unique.push_back(blob);

  auto known = batch_states(unique, config);
  if (!known) return known.error();
  BlobUploader uploader(source, destination, config);
  BlobStats stats;
  std::optional<Error> failure;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  const std::string context = util::Log::thread_context();
  auto work = [&] {
    util::Log::set_thread_context(context);
    Worker worker(config);
    while (true) {
      {
        std::lock_guard lock(mutex);
        if (failure) return;
      }
      const std::size_t index = next.fetch_add(1);
      if (index >= unique.size()) return;
      const auto& blob = unique[index];
      const auto started = std::chrono::steady_clock::now();
      if (config.budget) config.budget->acquire();
      auto outcome = uploader.copy(worker, blob, (*known)[index]);
      if (config.budget) config.budget->release();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::lock_guard lock(mutex);
      if (!outcome) {
        if (!failure) failure = outcome.error();
        return;
      }
      const auto size = static_cast<std::uint64_t>(blob.size);
      const std::string name = short_digest(blob.digest) + " " + util::format_bytes(size);
      switch (*outcome) {
        case BlobOutcome::Present:
          ++stats.present;
          stats.bytes_present += size;
          util::Log::get().debug("blob " + name + ": already at the destination");
          break;
        case BlobOutcome::Mounted:
          ++stats.mounted;
          stats.bytes_present += size;
          util::Log::get().info("blob " + name + ": mounted");
          break;
        case BlobOutcome::Copied:
          ++stats.copied;
          stats.bytes_copied += size;
          if (!config.dry_run)
            util::Log::get().info("blob " + name + ": copied in " + util::format_duration(seconds) +
                                  " (" + util::format_rate(size, seconds) + ")");
          break;
      }
    }
  };
  const std::size_t threads =
      std::max<std::size_t>(1, std::min<std::size_t>(config.concurrency, unique.size()));
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (failure) return *failure;
  return stats;
}

}  // namespace ecrm::mirror
