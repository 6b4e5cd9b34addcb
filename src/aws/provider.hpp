#pragma once
// Registry credentials for an ECR destination: {AWS, <password>} from GetAuthorizationToken, kept
// until shortly before the token's 12 hours run out (a long run outlives one token).
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "auth/keychain.hpp"
#include "aws/credentials.hpp"
#include "aws/ecr.hpp"
#include "aws/retry.hpp"

namespace ecrm::aws {

class EcrCredentialProvider : public auth::CredentialProvider {
 public:
  // A token is replaced when it expires within this margin (or half its lifetime, if shorter).
  static constexpr std::chrono::minutes kRefreshMargin{5};

  // `context` is used only under this provider's lock, so it may hold one http::Client.
  EcrCredentialProvider(EcrApiSettings settings, std::shared_ptr<CredentialCache> aws_credentials,
                        CallContext context);

  // Thread-safe: copy workers call it concurrently. refresh=true fetches a new token (the
  // registry rejected the last one).
  Expected<auth::Credential> credential(bool refresh) override;

  const EcrApiSettings& settings() const { return settings_; }
  // The AWS credentials behind the token, for the ECR API calls of ensure_repository.
  Expected<AwsCredentials> aws_credentials(bool refresh = false) {
    return aws_credentials_->get(refresh);
  }

 private:
  Expected<AuthorizationToken> fetch_token();

  std::mutex mutex_;
  EcrApiSettings settings_;
  std::shared_ptr<CredentialCache> aws_credentials_;
  CallContext context_;
  std::optional<AuthorizationToken> token_;
  std::chrono::system_clock::time_point fetched_at_;
  bool expiry_untrusted_ = false;  // the last token arrived already expired
};

}  // namespace ecrm::aws
