#include "mirror/blob_copier.hpp"

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "mirror/companion.hpp"
#include "mirror/pipe.hpp"
#include "registry/errors.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::mirror {
namespace {

std::string short_digest(const std::string& digest) {
  return digest.substr(0, 7 + 12);
}

// One copy worker: an upload client on this thread, a download client on its companion.
struct Worker {
  explicit Worker(const BlobCopyConfig& config)
      : upload(config.http), download(config.http), pipe(config.pipe_bytes, config.cancel) {}
  http::Client upload;
  http::Client download;
  BytePipe pipe;
  Companion companion;
};

struct Attempt {
  Status status;
  bool retry = false;
};

class Copier {
 public:
  Copier(registry::Repository& source, registry::Repository& destination,
         const BlobCopyConfig& config)
      : source_(source), destination_(destination), config_(config) {}

  Expected<BlobOutcome> copy(Worker& worker, const oci::Descriptor& blob) {
    auto exists = destination_.blob_exists(worker.upload, blob.digest);
    if (!exists) return exists.error();
    if (*exists || config_.dry_run) return *exists ? BlobOutcome::Present : BlobOutcome::Copied;
    registry::Backoff backoff(config_.retry);
    bool try_mount = config_.same_registry;
    while (true) {
      auto session = destination_.start_upload(worker.upload, blob.digest,
                                               try_mount ? source_.path() : std::string());
      if (!session) return session.error();
      if (session->state == registry::UploadStart::Mounted) return BlobOutcome::Mounted;
      try_mount = false;  // 202: the registry could not mount; this session takes the bytes
      auto attempt = stream(worker, blob, session->location);
      if (attempt.status) return BlobOutcome::Copied;
      destination_.cancel_upload(worker.upload, session->location);
      if (!attempt.retry) return attempt.status.error();
      auto delay = backoff.next();
      if (!delay) return attempt.status.error();
      util::Log::get().info("blob " + short_digest(blob.digest) + ": " +
                            attempt.status.error().message + "; restarting it in " +
                            util::format_duration(delay->count() / 1000.0));
      if (!registry::sleep_unless_cancelled(*delay, config_.cancel))
        return make_error(ErrorKind::Cancelled, "cancelled");
    }
  }

 private:
  // One try: GET from the source on the companion, PATCH to the destination here, PUT ?digest=.
  Attempt stream(Worker& worker, const oci::Descriptor& blob, const std::string& location) {
    worker.pipe.reset();
    std::optional<Error> download_error;
    worker.companion.start([&] {
      util::Sha256 hasher;
      std::uint64_t received = 0;
      registry::Call get;
      get.method = "GET";
      get.target = "/v2/" + source_.path() + "/blobs/" + blob.digest;
      get.scopes = source_.scopes();
      get.what = "GET blob " + source_.display() + "@" + blob.digest;
      get.body_sink = [&](const char* data, std::size_t size) {
        received += size;
        if (received > static_cast<std::uint64_t>(blob.size)) return false;
        hasher.update(data, size);
        return worker.pipe.write(data, size);
      };
      auto response = source_.transport().send(worker.download, get);
      if (received > static_cast<std::uint64_t>(blob.size)) {
        download_error = make_error(ErrorKind::Integrity,
                                    get.what + ": the source sent more than the " +
                                        std::to_string(blob.size) + " bytes its manifest declares");
      } else if (!response) {
        download_error = response.error();
      } else if (response->status != 200) {
        download_error = registry::error_from_response(get.what, *response);
      } else if (received != static_cast<std::uint64_t>(blob.size) ||
                 "sha256:" + hasher.hex_digest() != blob.digest) {
        download_error = make_error(
            ErrorKind::Integrity,
            get.what + ": the bytes received (" + std::to_string(received) +
                ") do not match the digest and size the manifest declares",
            "the source served corrupted content; nothing was tagged. Re-run; if it persists the "
            "source image is broken");
      }
      worker.pipe.finish(!download_error);
    });

    registry::Call patch;
    patch.method = "PATCH";
    patch.target = location;
    patch.headers.set("Content-Type", "application/octet-stream");
    patch.body_size = static_cast<std::uint64_t>(blob.size);
    patch.body_reader = [&](char* buffer, std::size_t size) {
      return worker.pipe.read(buffer, size);
    };
    patch.scopes = destination_.scopes();
    patch.what = "PATCH blob " + destination_.display() + "@" + blob.digest;
    auto patched = destination_.transport().send(worker.upload, patch);
    const bool patch_ok =
        patched && (patched->status == 202 || patched->status == 201 || patched->status == 204);
    if (!patch_ok) worker.pipe.abort();
    worker.companion.wait();

    if (download_error) {
      bool retry = (download_error->retryable || download_error->http_status == 401) &&
                   download_error->kind != ErrorKind::Integrity;
      if (download_error->kind == ErrorKind::Integrity && download_error->code == "STREAM_ABORTED")
        retry = true;  // the upload side failed first; its error is the one to report below
      if (patch_ok || download_error->code != "STREAM_ABORTED") return {*download_error, retry};
    }
    if (!patched) {
      Error e = patched.error();
      return {e, e.retryable || e.code == "STREAM_ABORTED"};
    }
    if (!patch_ok) {
      Error e = registry::error_from_response(patch.what, *patched);
      return {e, e.retryable || patched->status == 401};
    }
    auto next = patched->headers.get("Location");
    std::string commit_url = next && !next->empty() ? http::resolve_url(location, *next) : location;
    if (!http::same_origin(commit_url, destination_.transport().base_url())) {
      return {
          make_error(ErrorKind::Registry, patch.what + ": the upload Location leaves the registry"),
          false};
    }
    registry::Call put;
    put.method = "PUT";
    put.target = registry::Repository::with_query(commit_url, "digest=" + blob.digest);
    put.scopes = destination_.scopes();
    put.what = "PUT blob " + destination_.display() + "@" + blob.digest;
    auto committed = destination_.transport().send(worker.upload, put);
    if (committed &&
        (committed->status == 201 || committed->status == 204 || committed->status == 200))
      return {Status(), false};
    // A commit whose response was lost may have landed; its replay then finds no session
    // (404 BLOB_UPLOAD_UNKNOWN). The blob itself is the truth.
    if (auto landed = destination_.blob_exists(worker.upload, blob.digest); landed && *landed)
      return {Status(), false};
    if (!committed) return {committed.error(), committed.error().retryable};
    Error e = registry::error_from_response(put.what, *committed);
    return {e, e.retryable || committed->status == 404};
  }

  registry::Repository& source_;
  registry::Repository& destination_;
  const BlobCopyConfig& config_;
};

}  // namespace

Expected<BlobStats> copy_blobs(registry::Repository& source, registry::Repository& destination,
                               const std::vector<oci::Descriptor>& blobs,
                               const BlobCopyConfig& config) {
  std::vector<oci::Descriptor> unique;
  std::set<std::string> seen;
  for (const auto& blob : blobs)
    if (seen.insert(blob.digest).second) unique.push_back(blob);

  Copier copier(source, destination, config);
  BlobStats stats;
  std::optional<Error> failure;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
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
      auto outcome = copier.copy(worker, blob);
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
          util::Log::get().info("blob " + name + ": mounted from " + source.path());
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
