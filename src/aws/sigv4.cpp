#include "aws/sigv4.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "util/crypto.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Headers that a proxy or the transport may add or rewrite after signing; botocore leaves the same
// ones out (SIGNED_HEADERS_BLACKLIST), and Authorization cannot sign itself.
bool is_unsigned_header(std::string_view lower_name) {
  static constexpr std::string_view kUnsigned[] = {"authorization", "user-agent", "expect",
                                                   "transfer-encoding", "x-amzn-trace-id"};
  return std::find(std::begin(kUnsigned), std::end(kUnsigned), lower_name) != std::end(kUnsigned);
}

// "Trimall": leading and trailing blanks removed, runs of blanks inside collapsed to one space.
std::string trim_all(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// A URL's host as the Host header carries it: the scheme's default port is left out, as libcurl
// and botocore do.
std::string host_header_for(const http::UrlParts& parts) {
  if (parts.scheme == "https" && util::ends_with(parts.host, ":443"))
    return parts.host.substr(0, parts.host.size() - 4);
  if (parts.scheme == "http" && util::ends_with(parts.host, ":80"))
    return parts.host.substr(0, parts.host.size() - 3);
  return parts.host;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

std::string canonical_uri(std::string_view path) {
  std::vector<std::string> segments;
  for (const auto& segment : util::split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(util::url_encode(segment));
  }
  std::string uri = "/" + util::join(segments, "/");
  const bool trailing_slash =
      util::ends_with(path, "/") || util::ends_with(path, "/.") || util::ends_with(path, "/..");
  if (trailing_slash && uri.size() > 1) uri += '/';
  return uri;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  for (const auto& item : util::split(query, '&')) {
    if (item.empty()) continue;
    const auto equals = item.find('=');
    std::string name = item.substr(0, equals);
    std::string value = equals == std::string::npos ? "" : item.substr(equals + 1);
    // Decoding first keeps an already percent-encoded query from being encoded twice.
    parameters.emplace_back(util::url_encode(util::url_decode(name)),
                            util::url_encode(util::url_decode(value)));
  }
  std::sort(parameters.begin(), parameters.end());
  std::vector<std::string> pairs;
  pairs.reserve(parameters.size());
  for (const auto& [name, value] : parameters) pairs.push_back(name + "=" + value);
  return util::join(pairs, "&");
}

Signature compute_signature(const CanonicalInput& input, const AwsCredentials& credentials,
                            const SigningScope& scope, std::string_view amz_date_value) {
  // Repeated headers are joined with ',' in the order they were given (get-header-value-order).
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : input.headers)
    headers[util::to_lower(name)].push_back(trim_all(value));

  std::string canonical_headers;
  std::vector<std::string> names;
  for (const auto& [name, values] : headers) {
    canonical_headers += name + ":" + util::join(values, ",") + "\n";
    names.push_back(name);
  }

  Signature result;
  result.signed_headers = util::join(names, ";");
  result.canonical_request = input.method + "\n" + canonical_uri(input.path) + "\n" +
                             canonical_query(input.query) + "\n" + canonical_headers + "\n" +
                             result.signed_headers + "\n" + input.payload_hash;

  const std::string date(amz_date_value.substr(0, 8));
  const std::string credential_scope =
      date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  result.string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz_date_value) + "\n" +
                          credential_scope + "\n" + util::sha256_hex(result.canonical_request);

  const std::string date_key = util::hmac_sha256("AWS4" + credentials.secret_access_key, date);
  const std::string region_key = util::hmac_sha256(date_key, scope.region);
  const std::string service_key = util::hmac_sha256(region_key, scope.service);
  const std::string signing_key = util::hmac_sha256(service_key, "aws4_request");
  result.signature = util::to_hex(util::hmac_sha256(signing_key, result.string_to_sign));

  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                         "/" + credential_scope + ", SignedHeaders=" + result.signed_headers +
                         ", Signature=" + result.signature;
  return result;
}

Status sign_request(http::Request& request, const AwsCredentials& credentials,
                    const SigningScope& scope, std::chrono::system_clock::time_point now) {
  if (request.body_reader) {
    return make_error(ErrorKind::Internal,
                      "cannot sign a streamed request body: SigV4 needs the body's hash first");
  }
  auto parts = http::parse_url(request.url);
  if (!parts) {
    return make_error(ErrorKind::Internal,
                      "cannot sign a request to an invalid URL: " + request.url);
  }

  const std::string date = amz_date(now);
  request.headers.remove("Authorization");
  request.headers.set("X-Amz-Date", date);
  if (credentials.session_token.empty()) {
    request.headers.remove("X-Amz-Security-Token");
  } else {
    request.headers.set("X-Amz-Security-Token", credentials.session_token);
  }

  CanonicalInput input;
  input.method = request.head ? "HEAD" : request.method;
  const auto question = parts->path_and_query.find('?');
  input.path = parts->path_and_query.substr(0, question);
  if (question != std::string::npos) input.query = parts->path_and_query.substr(question + 1);
  if (!request.headers.get("Host")) input.headers.emplace_back("host", host_header_for(*parts));
  for (const auto& [name, value] : request.headers.all()) {
    if (!is_unsigned_header(util::to_lower(name))) input.headers.emplace_back(name, value);
  }
  input.payload_hash = util::sha256_hex(request.body);

  const Signature signature = compute_signature(input, credentials, scope, date);
  request.headers.set("Authorization", signature.authorization);
  return {};
}

}  // namespace ecrm::aws
