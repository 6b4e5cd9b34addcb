#include "registry/repository.hpp"

#include "oci/manifest.hpp"
#include "oci/referrers.hpp"
#include "registry/errors.hpp"
#include "util/crypto.hpp"
#include "util/json.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::registry {

Repository::Repository(std::shared_ptr<Transport> transport, std::string path, bool push)
    : transport_(std::move(transport)), path_(std::move(path)), push_(push) {}

Expected<http::Response> Repository::send(http::Client& client, Call& call) {
  requests_.fetch_add(1);
  return transport_->send(client, call);
}

std::vector<std::string> Repository::scopes() const {
  return {"repository:" + path_ + (push_ ? ":pull,push" : ":pull")};
}

std::string Repository::url(const std::string& kind, const std::string& reference) const {
  return "/v2/" + path_ + "/" + kind + "/" + reference;
}

std::string Repository::with_query(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

Expected<std::optional<ManifestHead>> Repository::head_manifest(http::Client& client,
                                                                const std::string& reference) {
  Call call;
  call.method = "HEAD";
  call.target = url("manifests", reference);
  call.headers.set("Accept", oci::manifest_accept_header());
  call.scopes = scopes();
  call.what = "HEAD manifest " + display() + ":" + reference;
  auto response = send(client, call);
  if (!response) return response.error();
  if (response->status == 404) return std::optional<ManifestHead>();
  if (response->status != 200) return error_from_response(call.what, *response);
  ManifestHead head;
  head.digest = response->headers.get("Docker-Content-Digest").value_or("");
  head.media_type = response->headers.get("Content-Type").value_or("");
  std::uint64_t length = 0;
  if (util::parse_uint(response->headers.get("Content-Length").value_or(""), length))
    head.size = static_cast<std::int64_t>(length);
  return std::optional<ManifestHead>(head);
}

Expected<ManifestData> Repository::get_manifest(http::Client& client,
                                                const std::string& reference) {
  Call call;
  call.method = "GET";
  call.target = url("manifests", reference);
  call.headers.set("Accept", oci::manifest_accept_header());
  call.scopes = scopes();
  call.max_body = oci::kMaxManifestBytes;
  call.what = "GET manifest " + display() + (util::starts_with(reference, "sha256:") ? "@" : ":") +
              reference;
  auto response = send(client, call);
  if (!response) {
    Error e = response.error();
    if (e.kind == ErrorKind::Integrity)
      e.message = call.what + ": the manifest is larger than 4 MiB, the limit registries accept";
    return e;
  }
  if (response->status != 200) return error_from_response(call.what, *response);
  ManifestData data;
  data.bytes = std::move(response->body);
  data.media_type = response->headers.get("Content-Type").value_or("");
  data.digest = "sha256:" + util::sha256_hex(data.bytes);
  if (util::starts_with(reference, "sha256:") && data.digest != reference) {
    return make_error(
        ErrorKind::Integrity,
        call.what + ": content hashes to " + data.digest + ", not the digest asked for",
        "the registry served corrupted or substituted content; re-run, and report "
        "it to the registry's operator if it persists");
  }
  return data;
}

Expected<std::string> Repository::resolve_digest(http::Client& client,
                                                 const std::string& reference) {
  auto head = head_manifest(client, reference);
  if (!head) return head.error();
  if (!*head) return std::string();
  if (!(*head)->digest.empty()) return (*head)->digest;
  auto data = get_manifest(client, reference);
  if (!data) return data.error();
  return data->digest;
}

Expected<std::optional<ManifestData>> Repository::find_manifest(http::Client& client,
                                                                const std::string& reference) {
  auto data = get_manifest(client, reference);
  if (!data) {
    if (data.error().http_status == 404) return std::optional<ManifestData>();
    return data.error();
  }
  return std::optional<ManifestData>(std::move(*data));
}

Expected<std::string> Repository::put_manifest(http::Client& client, const std::string& reference,
                                               const std::string& media_type,
                                               const std::string& bytes,
                                               const http::Headers& extra_headers) {
  Call call;
  call.method = "PUT";
  call.target = url("manifests", reference);
  call.headers = extra_headers;
  call.headers.set("Content-Type", media_type);
  call.body = bytes;
  call.scopes = scopes();
  call.what = "PUT manifest " + display() + (util::starts_with(reference, "sha256:") ? "@" : ":") +
              reference;
  auto response = send(client, call);
  if (!response) return response.error();
  if (response->status != 201 && response->status != 200)
    return error_from_response(call.what, *response);
  return response->headers.get("OCI-Subject").value_or("");
}

Expected<std::string> Repository::next_page(const http::Response& response,
                                            const std::string& what) const {
  auto link = http::next_link(response.headers.get("Link").value_or(""));
  if (!link || link->empty()) return std::string();
  std::string next = http::resolve_url(response.url, *link);
  if (!http::same_origin(next, transport_->base_url())) {
    return make_error(ErrorKind::Registry, what + ": the next page's link leaves the registry",
                      "refusing to send credentials to another host");
  }
  return next;
}

Expected<std::optional<std::vector<oci::Descriptor>>> Repository::list_referrers(
    http::Client& client, const std::string& digest) {
  // A hostile registry could link pages forever; real lists are one page.
  constexpr int kMaxPages = 64;
  std::vector<oci::Descriptor> listed;
  std::string target = url("referrers", digest);
  for (int page = 0; page < kMaxPages && !target.empty(); ++page) {
    Call call;
    call.target = target;
    call.headers.set("Accept", std::string(oci::media::kOciIndex));
    call.scopes = scopes();
    call.max_body = oci::kMaxManifestBytes;
    call.what = "GET referrers " + display() + "@" + digest;
    auto response = send(client, call);
    if (!response) return response.error();
    if (response->status == 404 && page == 0) return std::optional<std::vector<oci::Descriptor>>();
    if (response->status != 200) return error_from_response(call.what, *response);
    auto descriptors = oci::parse_referrers_list(response->body, "");
    if (!descriptors) {
      Error e = descriptors.error();
      e.message = call.what + ": " + e.message;
      return e;
    }
    for (auto& descriptor : *descriptors) listed.push_back(std::move(descriptor));
    auto next = next_page(*response, call.what);
    if (!next) return next.error();
    target = *next;
  }
  if (!target.empty()) {
    return make_error(ErrorKind::Registry,
                      "GET referrers " + display() + "@" + digest + ": the list goes on past " +
                          std::to_string(kMaxPages) + " pages",
                      "the registry lists more referrers than any image has; report it to its "
                      "operator, or use --referrers off");
  }
  return std::optional<std::vector<oci::Descriptor>>(std::move(listed));
}

Expected<Repository::TagList> Repository::list_tags(http::Client& client, std::size_t max_pages) {
  TagList list;
  std::string target = "/v2/" + path_ + "/tags/list?n=1000";
  for (std::size_t page = 0; !target.empty(); ++page) {
    if (page == max_pages) {
      list.complete = false;
      break;
    }
    Call call;
    call.target = target;
    call.scopes = scopes();
    call.what = "GET tags " + display();
    auto response = send(client, call);
    if (!response) return response.error();
    if (response->status == 404 && page == 0) return list;
    if (response->status != 200) return error_from_response(call.what, *response);
    auto json = util::Json::parse(response->body);
    const util::Json* tags = json ? json->find("tags") : nullptr;
    if (!json || (tags != nullptr && !tags->is_null() && !tags->is_array())) {
      return make_error(ErrorKind::Integrity,
                        call.what + ": the answer is not a tag list ({\"tags\": [...]})");
    }
    if (tags != nullptr && tags->is_array())
      for (const auto& tag : tags->items())
        if (tag.is_string()) list.tags.push_back(tag.as_string());
    auto next = next_page(*response, call.what);
    if (!next) return next.error();
    target = *next;
  }
  return list;
}

Expected<BlobState> Repository::blob_state(http::Client& client, const std::string& digest) {
  if (blob_head_unreliable_.load()) return BlobState::Unknown;
  Call call;
  call.method = "HEAD";
  call.target = url("blobs", digest);
  call.scopes = scopes();
  call.what = "HEAD blob " + display() + "@" + digest;
  auto response = send(client, call);
  if (!response) {
    // A token service that refuses us is a real credential problem, not an unreliable HEAD.
    return response.error();
  }
  if (response->status == 200) return BlobState::Present;
  if (response->status == 404) return BlobState::Absent;
  // 5xx and 429 outlived the transport's retries: the registry is failing, and an upload would
  // fail too. Report it.
  if (is_retryable_status(response->status)) return error_from_response(call.what, *response);
  if (!blob_head_unreliable_.exchange(true)) {
    util::Log::get().info(
        call.what + " answered HTTP " + std::to_string(response->status) +
        (http::same_origin(response->url, transport_->base_url())
             ? std::string()
             : " from " + http::parse_url(response->url).value_or(http::UrlParts{}).host) +
        ": this registry's blob HEADs say nothing, so blobs whose presence is "
        "not known otherwise are uploaded (uploads are idempotent)");
  }
  return BlobState::Unknown;
}

Expected<UploadSession> Repository::start_upload(http::Client& client, const std::string& digest,
                                                 const std::string& mount_from) {
  Call call;
  call.method = "POST";
  call.target = "/v2/" + path_ + "/blobs/uploads/";
  call.scopes = scopes();
  if (!mount_from.empty()) {
    call.target += "?mount=" + digest + "&from=" + util::url_encode(mount_from);
    // A mount needs pull on the source repository too (distribution: the challenge lists both).
    call.scopes.push_back("repository:" + mount_from + ":pull");
  }
  call.what = "POST blob upload " + display() + " for " + digest;
  auto response = send(client, call);
  if (!response) return response.error();
  UploadSession session;
  if (response->status == 201 && !mount_from.empty()) {
    session.state = UploadStart::Mounted;
    return session;
  }
  if (response->status != 202) return error_from_response(call.what, *response);
  auto location = response->headers.get("Location");
  if (!location || location->empty()) {
    return make_error(ErrorKind::Registry,
                      call.what + ": the registry started an upload without a Location header");
  }
  // Relative Locations are common (distribution sends absolute, others "/v2/…"): RFC 3986 §5.2.
  session.location = http::resolve_url(transport_->base_url() + call.target, *location);
  if (!http::same_origin(session.location, transport_->base_url())) {
    return make_error(ErrorKind::Registry,
                      call.what + ": the upload Location leaves the registry (" +
                          http::parse_url(session.location).value_or(http::UrlParts{}).host + ")",
                      "refusing to send the image and credentials to another host");
  }
  return session;
}

void Repository::cancel_upload(http::Client& client, const std::string& location) {
  Call call;
  call.method = "DELETE";
  call.target = location;
  call.scopes = scopes();
  call.what = "DELETE upload";
  (void)send(client, call);
}

}  // namespace ecrm::registry
