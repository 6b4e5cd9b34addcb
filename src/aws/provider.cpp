#include "aws/provider.hpp"

#include <algorithm>

#include "util/log.hpp"
#include "util/strings.hpp"

namespace ecrm::aws {

namespace {

// AWS refused the credentials themselves (not a missing permission): new ones may help.
bool credentials_rejected(const Error& error) {
  return error.code == "ExpiredTokenException" || error.code == "UnrecognizedClientException" ||
         error.code == "InvalidClientTokenId";
}

}  // namespace

EcrCredentialProvider::EcrCredentialProvider(EcrApiSettings settings,
                                             std::shared_ptr<CredentialCache> aws_credentials,
                                             CallContext context)
    : settings_(std::move(settings)),
      aws_credentials_(std::move(aws_credentials)),
      context_(std::move(context)) {}

Expected<AuthorizationToken> EcrCredentialProvider::fetch_token() {
  auto credentials = aws_credentials_->get(false);
  if (!credentials) return credentials.error();
  auto token = get_authorization_token(settings_, *credentials, context_);
  // Only temporary credentials from STS can be fetched anew; keys from the environment would
  // come back the same.
  if (!token && credentials_rejected(token.error()) && credentials->expiration) {
    credentials = aws_credentials_->get(true);
    if (!credentials) return credentials.error();
    token = get_authorization_token(settings_, *credentials, context_);
  }
  return token;
}

Expected<auth::Credential> EcrCredentialProvider::credential(bool refresh) {
  std::lock_guard lock(mutex_);
  const auto now = context_.now ? context_.now() : std::chrono::system_clock::now();
  // A token is replaced kRefreshMargin before it expires, or halfway through its life when it
  // lives shorter than twice that (test servers hand out minute-long tokens).
  const auto margin = token_ ? std::min<std::chrono::system_clock::duration>(
                                   kRefreshMargin, (token_->expires_at - fetched_at_) / 2)
                             : std::chrono::system_clock::duration{};
  // A token that came back already expired (a runner's clock far off, or a stand-in like moto
  // that dates every token 2015) is used until the registry refuses it: fetching one per request
  // would only get the same answer, and GetAuthorizationToken is rate-limited.
  const bool usable = token_ && (expiry_untrusted_ || token_->expires_at > now + margin);
  if (!usable || refresh) {
    const bool renewal = token_.has_value();
    auto token = fetch_token();
    if (!token) return token.error();
    token_ = std::move(*token);
    fetched_at_ = now;
    expiry_untrusted_ = token_->expires_at <= now;
    if (expiry_untrusted_)
      util::Log::get().warning(
          "the ECR registry token expires in the past, by this machine's clock; it is used until "
          "the registry refuses it (check the clock if pushes fail with 401)");
    const auto minutes_left =
        std::chrono::duration_cast<std::chrono::minutes>(token_->expires_at - now).count();
    util::Log::get().debug(std::string(renewal ? "Renewed" : "Fetched") + " the " +
                           (settings_.type == DestinationType::EcrPublic ? "ECR Public" : "ECR") +
                           " registry token (valid for " + std::to_string(minutes_left) +
                           " more minutes)");
  }
  auth::Credential credential;
  credential.username = token_->username;
  credential.password = token_->password;
  return credential;
}

}  // namespace ecrm::aws
