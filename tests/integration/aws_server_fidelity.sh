#!/usr/bin/env bash
# Fidelity of tests/lib/aws_server.py, checked by clients that were not written for it:
# the real AWS CLI v2 (/usr/bin/aws, botocore's parsers and signer) must parse every reply
# and error the server sends, and the server's signature check must agree with botocore's
# signer and with curl's independent SigV4 implementation (--aws-sigv4).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/lib/common.sh
source "$HERE/../lib/common.sh"
# shellcheck source=tests/lib/aws_env.sh
source "$HERE/../lib/aws_env.sh"

[[ -x /usr/bin/aws ]] || { echo "SKIP: /usr/bin/aws (Debian awscli) is not installed" >&2; exit 77; }
/usr/bin/python3 -c 'import botocore, jwt, cryptography' 2>/dev/null ||
  { echo "SKIP: /usr/bin/python3 lacks python3-botocore/jwt/cryptography" >&2; exit 77; }
suite_init aws_server_fidelity
require_tools curl jq

ACCOUNT=123456789012
ROLE="arn:aws:iam::$ACCOUNT:role/mirror-role"
REPO_SLUG=octo-org/octo-repo
STATIC_AKID=AKIAFIDELITYSTATIC01
STATIC_SECRET="static/$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

# The CLI must see nothing of the caller's AWS setup, and never the real AWS.
mkdir -p "$TEST_TMP/awscfg"
export AWS_CONFIG_FILE="$TEST_TMP/awscfg/config" AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/awscfg/credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
  AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_REGION AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS AWS_RETRY_MODE
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

USERS="$TEST_TMP/users"
: >"$USERS"
aws_server_start --users-file "$USERS" --github-repo "$REPO_SLUG" --github-ref refs/heads/main \
  --static-credentials "$STATIC_AKID:$STATIC_SECRET" --ecr-expires-in 600 \
  --account-id "$ACCOUNT" --max-seconds 600

# aws_cli LABEL ARGS...: runs /usr/bin/aws bounded; sets CLI_RC and CLI_OUT / CLI_ERR (files).
aws_cli() {
  local label="$1"
  shift
  CLI_OUT="$TEST_TMP/cli-$label.out"
  CLI_ERR="$TEST_TMP/cli-$label.err"
  CLI_RC=0
  timeout --kill-after=5 90 /usr/bin/aws --endpoint-url "$AWS_SERVER_URL" --output json "$@" \
    >"$CLI_OUT" 2>"$CLI_ERR" </dev/null || CLI_RC=$?
}
cli_ok() { [[ $CLI_RC -eq 0 ]] || fail "aws $1 failed ($CLI_RC): $(cat "$CLI_ERR")"; }
cli_field() { jq -r "$1" "$CLI_OUT"; }
# cli_error CODE OPERATION: the CLI failed with exactly AWS's error line for CODE.
cli_error() {
  [[ $CLI_RC -eq 254 ]] || fail "expected the CLI to report a service error ($2), exit $CLI_RC: $(cat "$CLI_ERR" "$CLI_OUT")"
  assert_contains "$(cat "$CLI_ERR")" "An error occurred ($1) when calling the $2 operation" "CLI stderr"
}
count_log() { jq -c "$1" "$AWS_SERVER_LOG" | wc -l; }
oidc_token() {
  curl -sS --max-time 10 -H "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
    "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=${1:-sts.amazonaws.com}" | jq -r .value
}
assume() {
  aws_cli "$1" sts assume-role-with-web-identity --role-arn "$ROLE" --role-session-name fidelity \
    --web-identity-token "$2" --duration-seconds 1800 --region us-east-1 --no-sign-request
}

# ---------------------------------------------------------------- GitHub OIDC
log "OIDC token endpoint"
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=x")"
assert_eq 401 "$code" "OIDC with a wrong request token"
code="$(curl -s -o /dev/null -w '%{http_code}' "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=x")"
assert_eq 401 "$code" "OIDC without a request token"
reply="$(curl -sS -H "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com")"
JWT="$(jq -r .value <<<"$reply")"
assert_eq "${#JWT}" "$(jq -r .count <<<"$reply")" "OIDC count"
claims="$(/usr/bin/python3 -c 'import jwt, sys; print(__import__("json").dumps(jwt.decode(sys.argv[1], options={"verify_signature": False})))' "$JWT")" ||
  fail "the OIDC value is not a JWT"
assert_eq "RS256" "$(/usr/bin/python3 -c 'import jwt, sys; print(jwt.get_unverified_header(sys.argv[1])["alg"])' "$JWT")" "JWT alg"
assert_eq "https://token.actions.githubusercontent.com" "$(jq -r .iss <<<"$claims")" "iss"
assert_eq "sts.amazonaws.com" "$(jq -r .aud <<<"$claims")" "aud"
assert_eq "repo:$REPO_SLUG:ref:refs/heads/main" "$(jq -r .sub <<<"$claims")" "sub"
assert_eq "$REPO_SLUG" "$(jq -r .repository <<<"$claims")" "repository claim"
assert_eq 300 "$(jq '.exp - .iat' <<<"$claims")" "token lifetime"

# ---------------------------------------------------------------- STS success
log "STS AssumeRoleWithWebIdentity through the CLI"
assume sts-ok "$JWT"
cli_ok sts
AKID="$(cli_field .Credentials.AccessKeyId)"
SECRET="$(cli_field .Credentials.SecretAccessKey)"
TOKEN="$(cli_field .Credentials.SessionToken)"
[[ "$AKID" =~ ^ASIA[A-Z0-9]{16}$ ]] || fail "AccessKeyId '$AKID' is not an STS session key id"
[[ ${#SECRET} -eq 40 ]] || fail "SecretAccessKey has ${#SECRET} characters, expected 40"
aws_server_issued secret_access_keys | grep -qxF -- "$SECRET" || fail "the secret the CLI parsed is not the one issued"
aws_server_issued session_tokens | grep -qxF -- "$TOKEN" || fail "the session token the CLI parsed is not the one issued"
expires="$(date -d "$(cli_field .Credentials.Expiration)" +%s)" || fail "Expiration does not parse"
((expires > $(date +%s) + 1700 && expires < $(date +%s) + 1900)) || fail "Expiration is not now + 1800 s"
assert_eq "repo:$REPO_SLUG:ref:refs/heads/main" "$(cli_field .SubjectFromWebIdentityToken)" "SubjectFromWebIdentityToken"
assert_eq "arn:aws:sts::$ACCOUNT:assumed-role/mirror-role/fidelity" "$(cli_field .AssumedRoleUser.Arn)" "AssumedRoleUser.Arn"
[[ "$(cli_field .AssumedRoleUser.AssumedRoleId)" =~ ^AROA[A-Z0-9]+:fidelity$ ]] || fail "AssumedRoleId"
assert_eq "arn:aws:iam::$ACCOUNT:oidc-provider/token.actions.githubusercontent.com" "$(cli_field .Provider)" "Provider"
assert_eq "sts.amazonaws.com" "$(cli_field .Audience)" "Audience"
assume sts-ok2 "$(oidc_token)"
cli_ok sts
assert_ne "$AKID" "$(cli_field .Credentials.AccessKeyId)" "a second session's key id"
assert_ne "$SECRET" "$(cli_field .Credentials.SecretAccessKey)" "a second session's secret"

# ---------------------------------------------------------------- STS errors
log "STS error documents through the CLI"
aws_scenario '{"sts_always": "AccessDenied"}'
assume sts-denied "$JWT"
cli_error AccessDenied AssumeRoleWithWebIdentity
assert_contains "$(cat "$CLI_ERR")" "Not authorized to perform sts:AssumeRoleWithWebIdentity" "AccessDenied message"
aws_scenario '{"sts_always": null}'

aws_scenario '{"allowed_sub": "repo:someone-else/*"}'
assume sts-sub "$JWT"
cli_error AccessDenied AssumeRoleWithWebIdentity
aws_scenario '{"reset": true}'

assume sts-aud "$(oidc_token other-audience)"
cli_error InvalidIdentityToken AssumeRoleWithWebIdentity
assert_contains "$(cat "$CLI_ERR")" "Incorrect token audience" "audience message"
assume sts-garbage "not.a.jwt-at-all"
cli_error InvalidIdentityToken AssumeRoleWithWebIdentity
foreign="$(/usr/bin/python3 - "$claims" <<'PY'
import json, sys, jwt
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
print(jwt.encode(json.loads(sys.argv[1]), key, algorithm="RS256"))
PY
)"
assume sts-foreign "$foreign"
cli_error InvalidIdentityToken AssumeRoleWithWebIdentity
aws_scenario '{"oidc_lifetime": -10}'
assume sts-expired "$(oidc_token)"
cli_error ExpiredTokenException AssumeRoleWithWebIdentity
aws_scenario '{"reset": true}'

# Throttling is retryable for botocore: two injected failures, then the third attempt succeeds.
before="$(count_log 'select(.service == "sts")')"
aws_scenario '{"sts_fail": ["Throttling", "Throttling"]}'
assume sts-throttled "$JWT"
cli_ok "sts after throttling"
assert_eq 3 "$(($(count_log 'select(.service == "sts")') - before))" "STS calls for two throttles and a success"
assert_eq 2 "$(count_log 'select(.service == "sts" and .error == "Throttling")')" "throttled STS calls logged"

# Each modeled STS error carries the status botocore's model gives it.
while read -r code status; do
  aws_scenario "{\"sts_fail\": [\"$code\"]}"
  got="$(curl -s -o "$TEST_TMP/sts-$code.xml" -w '%{http_code}' --data-urlencode "Action=AssumeRoleWithWebIdentity" \
    --data-urlencode Version=2011-06-15 --data-urlencode "RoleArn=$ROLE" --data-urlencode RoleSessionName=s1 \
    --data-urlencode "WebIdentityToken=$JWT" "$AWS_SERVER_URL/")"
  assert_eq "$status" "$got" "HTTP status of $code"
  assert_contains "$(cat "$TEST_TMP/sts-$code.xml")" "<Code>$code</Code>" "$code document"
done < <(/usr/bin/python3 - <<'PY'
import botocore.session
m = botocore.session.get_session().get_service_model("sts")
for s in m.error_shapes:
    e = s.metadata.get("error", {})
    if e.get("code") in ("IDPRejectedClaim", "InvalidIdentityToken", "IDPCommunicationError",
                         "ExpiredTokenException", "RegionDisabledException"):
        print(e["code"], e["httpStatusCode"])
print("AccessDenied 403")
print("Throttling 400")
PY
)

# ---------------------------------------------------------------- ECR Public and ECR
export AWS_ACCESS_KEY_ID="$AKID" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN"
log "ECR Public GetAuthorizationToken"
aws_cli ecrp-token ecr-public get-authorization-token --region us-east-1
cli_ok "ecr-public get-authorization-token"
decoded="$(cli_field .authorizationData.authorizationToken | base64 -d)"
[[ "$decoded" == AWS:?* ]] || fail "ECR Public token is not base64 of AWS:<password>"
grep -qxF -- "$decoded" "$USERS" || fail "the issued password is not in --users-file"
expires="$(date -d "$(cli_field .authorizationData.expiresAt)" +%s)" || fail "expiresAt does not parse"
((expires > $(date +%s) + 500 && expires <= $(date +%s) + 601)) || fail "expiresAt is not now + 600 s"

log "ECR GetAuthorizationToken"
aws_cli ecr-token ecr get-authorization-token --region eu-west-1
cli_ok "ecr get-authorization-token"
assert_eq "https://$ACCOUNT.dkr.ecr.eu-west-1.amazonaws.com" "$(cli_field '.authorizationData[0].proxyEndpoint')" proxyEndpoint
decoded2="$(cli_field '.authorizationData[0].authorizationToken' | base64 -d)"
assert_ne "$decoded" "$decoded2" "a second ECR password"
grep -qxF -- "$decoded2" "$USERS" || fail "the second password is not in --users-file"

log "ECR repositories"
aws_cli ecr-missing ecr describe-repositories --repository-names missing-repo --region eu-west-1
cli_error RepositoryNotFoundException DescribeRepositories
assert_contains "$(cat "$CLI_ERR")" "The repository with name 'missing-repo' does not exist in the registry with id '$ACCOUNT'" "not-found message"
aws_cli ecr-create ecr create-repository --repository-name team/app --region eu-west-1 \
  --image-scanning-configuration scanOnPush=true --encryption-configuration encryptionType=AES256 \
  --image-tag-mutability MUTABLE
cli_ok "ecr create-repository"
assert_eq "$ACCOUNT.dkr.ecr.eu-west-1.amazonaws.com/team/app" "$(cli_field .repository.repositoryUri)" repositoryUri
assert_eq "arn:aws:ecr:eu-west-1:$ACCOUNT:repository/team/app" "$(cli_field .repository.repositoryArn)" repositoryArn
assert_eq true "$(cli_field .repository.imageScanningConfiguration.scanOnPush)" scanOnPush
assert_eq AES256 "$(cli_field .repository.encryptionConfiguration.encryptionType)" encryptionType
aws_cli ecr-describe ecr describe-repositories --repository-names team/app --region eu-west-1
cli_ok "ecr describe-repositories"
assert_eq team/app "$(cli_field '.repositories[0].repositoryName')" "described repository"
date -d "$(cli_field '.repositories[0].createdAt')" +%s >/dev/null || fail "createdAt does not parse"
aws_cli ecr-create-again ecr create-repository --repository-name team/app --region eu-west-1
cli_error RepositoryAlreadyExistsException CreateRepository
aws_cli ecr-bad-name ecr create-repository --repository-name Team/App --region eu-west-1
cli_error InvalidParameterException CreateRepository

aws_cli ecrp-create ecr-public create-repository --repository-name mirror/app --region us-east-1 \
  --catalog-data 'description=Mirror of docker.io/library/app,architectures=ARM 64,x86-64,operatingSystems=Linux'
cli_ok "ecr-public create-repository"
assert_eq "public.ecr.aws/ecrm-test/mirror/app" "$(cli_field .repository.repositoryUri)" "public repositoryUri"
assert_eq "ARM 64,x86-64" "$(cli_field '.catalogData.architectures | join(",")')" "catalog architectures"
assert_eq "Mirror of docker.io/library/app" "$(cli_field .catalogData.description)" "catalog description"
assert_eq '["Linux"]' "$(jq -c 'select(.action == "CreateRepository" and .service == "ecr-public") | .params.catalogData.operatingSystems' "$AWS_SERVER_LOG")" "logged catalog data"
aws_cli ecrp-describe ecr-public describe-repositories --region us-east-1
cli_ok "ecr-public describe-repositories"
assert_eq mirror/app "$(cli_field '[.repositories[].repositoryName] | join(",")')" "public repositories"
aws_scenario '{"repositories": {"ecr-public": ["seed/one", "seed/two"]}}'
aws_cli ecrp-seeded ecr-public describe-repositories --region us-east-1
cli_ok "ecr-public describe-repositories after seeding"
assert_eq "seed/one,seed/two" "$(cli_field '[.repositories[].repositoryName] | join(",")')" "seeded repositories"

log "ECR failures the CLI retries"
aws_scenario '{"ecr_fail": ["ThrottlingException", 500]}'
aws_cli ecr-retry ecr get-authorization-token --region eu-west-1
cli_ok "ecr get-authorization-token after a throttle and a 500"
assert_eq 1 "$(count_log 'select(.error == "ThrottlingException")')" "throttled ECR call"
assert_eq 1 "$(count_log 'select(.error == "ServerException" and .status == 500)')" "ECR 500"
aws_scenario '{"ecr_always": "ServerException"}'
aws_cli ecr-500 ecr-public get-authorization-token --region us-east-1
cli_error ServerException GetAuthorizationToken
aws_scenario '{"reset": true}'

# ---------------------------------------------------------------- signatures
log "signature checks agree with the CLI's signer"
AWS_SECRET_ACCESS_KEY="${SECRET}x" aws_cli sig-wrong-secret ecr describe-repositories --region eu-west-1
cli_error InvalidSignatureException DescribeRepositories
assert_contains "$(cat "$CLI_ERR")" "The request signature we calculated does not match the signature you provided" "signature message"
AWS_SESSION_TOKEN="${TOKEN}x" aws_cli sig-wrong-token ecr describe-repositories --region eu-west-1
cli_error UnrecognizedClientException DescribeRepositories
AWS_ACCESS_KEY_ID=ASIAUNKNOWNKEY000000 aws_cli sig-unknown ecr describe-repositories --region eu-west-1
cli_error UnrecognizedClientException DescribeRepositories
aws_cli sig-region ecr-public get-authorization-token --region eu-west-1
cli_error InvalidSignatureException GetAuthorizationToken
aws_scenario "{\"bad_signature_key\": \"$AKID\"}"
aws_cli sig-bad-key ecr describe-repositories --region eu-west-1
cli_error InvalidSignatureException DescribeRepositories
aws_scenario '{"bad_signature_key": null}'
aws_cli sig-ok ecr describe-repositories --region eu-west-1
cli_ok "ecr describe-repositories with the right key"

log "static credentials, and curl's own SigV4 signer"
AWS_ACCESS_KEY_ID="$STATIC_AKID" AWS_SECRET_ACCESS_KEY="$STATIC_SECRET" AWS_SESSION_TOKEN="" \
  aws_cli static ecr describe-repositories --region us-west-2
cli_ok "ecr describe-repositories with static credentials"
code="$(curl -sS -o "$TEST_TMP/curl-sig.json" -w '%{http_code}' --aws-sigv4 "aws:amz:us-west-2:ecr" \
  --user "$STATIC_AKID:$STATIC_SECRET" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' \
  --data-binary '{"repositoryNames":["team/app"]}' "$AWS_SERVER_URL/")"
assert_eq 200 "$code" "curl-signed DescribeRepositories: $(cat "$TEST_TMP/curl-sig.json")"
assert_eq team/app "$(jq -r '.repositories[0].repositoryName' "$TEST_TMP/curl-sig.json")" "curl-signed reply"
code="$(curl -sS -o "$TEST_TMP/curl-bad.json" -w '%{http_code}' --aws-sigv4 "aws:amz:us-west-2:ecr" \
  --user "$STATIC_AKID:wrong" -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' \
  --data-binary '{}' "$AWS_SERVER_URL/")"
assert_eq 403 "$code" "curl-signed request with a wrong secret"
assert_eq InvalidSignatureException "$(jq -r .__type "$TEST_TMP/curl-bad.json")" "curl wrong-secret error"

log "expired session credentials"
aws_scenario '{"expire_credentials": true}'
aws_cli expired ecr get-authorization-token --region eu-west-1
cli_error ExpiredTokenException GetAuthorizationToken
assume sts-fresh "$(oidc_token)"
cli_ok "sts after expiry"
AWS_ACCESS_KEY_ID="$(cli_field .Credentials.AccessKeyId)" AWS_SECRET_ACCESS_KEY="$(cli_field .Credentials.SecretAccessKey)" \
  AWS_SESSION_TOKEN="$(cli_field .Credentials.SessionToken)" aws_cli fresh ecr get-authorization-token --region eu-west-1
cli_ok "ecr get-authorization-token with fresh credentials"

# ---------------------------------------------------------------- hygiene
aws_server_assert_no_secrets "$AWS_SERVER_LOG" "$AWS_SERVER_DIR/server.err" "$AWS_SERVER_DIR/server.out"
[[ ! -s "$AWS_SERVER_DIR/server.err" ]] || fail "aws_server.py wrote to stderr: $(head -c 2000 "$AWS_SERVER_DIR/server.err")"
aws_server_stop
pass
