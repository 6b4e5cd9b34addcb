#include "mirror/blob_upload.hpp"

#include "registry/errors.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::mirror {

std::string short_digest(const std::string& digest) {
  return digest.substr(0, 7 + 12);
}

namespace {

// Statuses with which a registry refuses a body on the commit PUT, where POST + PATCH + PUT
// may still work (distribution spec: monolithic upload is a MAY for registries).
bool refuses_monolithic(long status) {
  return status == 400 || status == 405 || status == 415 || status == 416 || status == 501;
}

}  // namespace

Expected<BlobOutcome> BlobUploader::copy(Worker& worker, const oci::Descriptor& blob,
                                         std::optional<registry::BlobState> known) {
  registry::BlobState state = registry::BlobState::Unknown;
  if (known) {
    state = *known;
  } else {
    auto asked = destination_.blob_state(worker.upload, blob.digest);
    if (!asked) return asked.error();
    state = *asked;
  }
  const std::string& host = destination_.transport().host();
  BlobLedger* ledger = config_.ledger.get();
  if (state == registry::BlobState::Present) {
    if (ledger) ledger->landed(host, blob.digest, destination_.path());
    return BlobOutcome::Present;
  }
  if (config_.dry_run) return BlobOutcome::Copied;
  std::string mount_from = config_.same_registry ? source_.path() : std::string();
  bool owner = false;
  if (ledger) {
    auto claim = ledger->claim(host, blob.digest, config_.cancel);
    owner = claim.owner;
    if (!claim.owner) mount_from = claim.mount_from;
  }
  auto outcome = transfer(worker, blob, mount_from);
  if (ledger) {
    if (outcome)
      ledger->landed(host, blob.digest, destination_.path());
    else if (owner)
      ledger->abandoned(host, blob.digest);
  }
  return outcome;
}

Expected<BlobOutcome> BlobUploader::transfer(Worker& worker, const oci::Descriptor& blob,
                                             std::string mount_from) {
  registry::Backoff backoff(config_.retry);
  while (true) {
    auto session = destination_.start_upload(worker.upload, blob.digest, mount_from);
    if (!session) return session.error();
    if (session->state == registry::UploadStart::Mounted) return BlobOutcome::Mounted;
    // 202: the registry could not mount (ECR opens an upload instead); this session takes the
    // bytes.
    mount_from.clear();
    auto attempt = stream(worker, blob, session->location);
    if (attempt.status) return BlobOutcome::Copied;
    destination_.cancel_upload(worker.upload, session->location);
    if (attempt.monolithic_refused) {
      destination_.transport().refuse_monolithic_upload();
      util::Log::get().info("blob " + short_digest(blob.digest) + ": " +
                            attempt.status.error().message +
                            "; this registry takes no monolithic upload, using POST + PATCH + PUT "
                            "for the rest of the run");
      continue;  // at once: nothing failed but the choice of method
    }
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

void BlobUploader::start_download(Worker& worker, const oci::Descriptor& blob,
                                  std::optional<Error>& download_error) {
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
    auto response = source_.send(worker.download, get);
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
}

BlobUploader::Attempt BlobUploader::stream(Worker& worker, const oci::Descriptor& blob,
                                           const std::string& location) {
  worker.pipe.reset();
  std::optional<Error> download_error;
  start_download(worker, blob, download_error);

  const bool monolithic = destination_.transport().takes_monolithic_upload();
  registry::Call upload;
  upload.method = monolithic ? "PUT" : "PATCH";
  upload.target =
      monolithic ? registry::Repository::with_query(location, "digest=" + blob.digest) : location;
  upload.headers.set("Content-Type", "application/octet-stream");
  upload.body_size = static_cast<std::uint64_t>(blob.size);
  upload.body_reader = [&](char* buffer, std::size_t size) {
    return worker.pipe.read(buffer, size);
  };
  upload.scopes = destination_.scopes();
  upload.what = upload.method + " blob " + destination_.display() + "@" + blob.digest;
  auto sent = destination_.send(worker.upload, upload);
  auto attempt = finish(worker, download_error, sent, upload.what, monolithic);
  if (!attempt.status || monolithic) {
    if (monolithic && !attempt.status && !attempt.monolithic_refused && !download_error &&
        landed(worker, blob))
      return {Status(), false};
    return attempt;
  }
  // ECR answers the PATCH with 201 (not the spec's 202; dotnet/sdk-container-builds#279).
  auto next = sent->headers.get("Location");
  std::string commit_url = next && !next->empty() ? http::resolve_url(location, *next) : location;
  if (!http::same_origin(commit_url, destination_.transport().base_url())) {
    return {
        make_error(ErrorKind::Registry, upload.what + ": the upload Location leaves the registry"),
        false};
  }
  return commit(worker, blob, commit_url);
}

BlobUploader::Attempt BlobUploader::finish(Worker& worker, std::optional<Error>& download_error,
                                           const Expected<http::Response>& sent,
                                           const std::string& what, bool monolithic) {
  const long status = sent ? sent->status : 0;
  const bool ok = sent && (monolithic ? (status == 201 || status == 204 || status == 200)
                                      : (status == 202 || status == 201 || status == 204));
  if (!ok) worker.pipe.abort();
  worker.companion.wait();
  if (download_error) {
    bool retry = (download_error->retryable || download_error->http_status == 401) &&
                 download_error->kind != ErrorKind::Integrity;
    if (download_error->kind == ErrorKind::Integrity && download_error->code == "STREAM_ABORTED")
      retry = true;  // the upload side failed first; its error is the one to report below
    if (ok || download_error->code != "STREAM_ABORTED") return {*download_error, retry};
  }
  if (!sent) {
    Error e = sent.error();
    return {e, e.retryable || e.code == "STREAM_ABORTED"};
  }
  if (ok) return {Status(), false};
  Error e = registry::error_from_response(what, *sent);
  if (monolithic && refuses_monolithic(status) && e.code != "DENIED") return {e, true, true};
  // 401 and ECR's 400 DENIED: the transport renewed the credential; the stream starts again.
  // A 404 to a monolithic PUT: the session was lost; a new POST opens another.
  const bool renewed = status == 401 || (status == 400 && e.code == "DENIED");
  return {e, e.retryable || renewed || (monolithic && status == 404 && e.code != "NAME_UNKNOWN")};
}

// A commit whose response was lost may have landed; its replay then finds no session (404
// BLOB_UPLOAD_UNKNOWN) or fails otherwise. The blob itself is the truth.
bool BlobUploader::landed(Worker& worker, const oci::Descriptor& blob) {
  auto state = destination_.blob_state(worker.upload, blob.digest);
  return state && *state == registry::BlobState::Present;
}

BlobUploader::Attempt BlobUploader::commit(Worker& worker, const oci::Descriptor& blob,
                                           const std::string& commit_url) {
  registry::Call put;
  put.method = "PUT";
  put.target = registry::Repository::with_query(commit_url, "digest=" + blob.digest);
  put.scopes = destination_.scopes();
  put.what = "PUT blob " + destination_.display() + "@" + blob.digest;
  auto committed = destination_.send(worker.upload, put);
  if (committed &&
      (committed->status == 201 || committed->status == 204 || committed->status == 200))
    return {Status(), false};
  if (landed(worker, blob)) return {Status(), false};
  if (!committed) return {committed.error(), committed.error().retryable};
  Error e = registry::error_from_response(put.what, *committed);
  return {e, e.retryable || committed->status == 404};
}

}  // namespace ecrm::mirror
