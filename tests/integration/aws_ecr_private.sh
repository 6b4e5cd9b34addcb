#!/usr/bin/env bash
# Private ECR end to end, with AWS played by tests/lib/aws_server.py: the AWS SDKs' credential
# chain (static keys from the environment; then AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, the
# EKS flow) → ECR GetAuthorizationToken → a push into a Basic-auth docker-registry that takes
# AWS:<password> on every request, as a private ECR registry does. The destination is given as
# that registry's address with --destination-type ecr --aws-region eu-west-1. Also: a no-op
# re-run, --create-repository (scan on push, AES256, mutable tags), a missing repository without
# the flag, and a token that expires during the copy. Under GITHUB_ACTIONS=true no secret may
# appear in anything printed but ::add-mask:: lines.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start*
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
aws_suite_init aws_ecr_private htpasswd
export GITHUB_STEP_SUMMARY="$TEST_TMP/step-summary.md"

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
STATIC_AKID=AKIAECRMPRIVATE00001
STATIC_SECRET="static/$(random_hex 16)"
ECR_PASSWORD="ecr-$(random_hex 20)"
ROLE="arn:aws:iam::123456789012:role/eks-ecr-push"

registry_start SRC plain
registry_start_aws_basic DST "$ECR_PASSWORD"
aws_server_start --static-credentials "$STATIC_AKID:$STATIC_SECRET" --ecr-passwords "$ECR_PASSWORD" \
  --registry-root "$DST_DIR/data"
aws_scenario '{"repositories": {"ecr": ["team/app"]}}'

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 2 \
  --layer-size 65536 --seed 41 --tag 2.1
seed_image "$TEST_TMP/img" SRC library/app:2.1
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"

mirror_args=(--source "$SRC_ADDR/library/app:2.1" --insecure-registries "$SRC_ADDR,$DST_ADDR"
  --destination-type ecr --aws-region eu-west-1)

# assert_ecr_calls_in_region: every ECR call since the mark was signed for eu-west-1 and none
# went to ECR Public.
assert_ecr_calls_in_region() {
  assert_eq 0 "$(aws_count '.service == "ecr-public"')" "ECR Public calls for a private ECR destination"
  assert_eq 0 "$(aws_count '.service == "ecr" and .region != "eu-west-1"')" \
    "ECR calls signed for another region than --aws-region: $(aws_since 'select(.service == "ecr") | .region')"
}

# ---------------------------------------------------------------- 1. static keys
export AWS_ACCESS_KEY_ID="$STATIC_AKID" AWS_SECRET_ACCESS_KEY="$STATIC_SECRET"
aws_mark
run_aws static "${mirror_args[@]}" --destination "$DST_ADDR/team/app"
assert_rc 0 "copy with static keys"
assert_eq true "$(output_or_fail changed)" "changed (first copy)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_same_set "2.1,2.1-$short" "$(output_or_fail tags-pushed)" "tags-pushed"
assert_eq "$DST_ADDR/team/app@$digest" "$(output_or_fail image)" "image output"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/team/app:2.1" "" "$DST_CREDS"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/team/app:2.1-$short" "" "$DST_CREDS"
calls="$(aws_calls)"
[[ "$calls" =~ ^ecr\.GetAuthorizationToken(,ecr\.DescribeRepositories)?,ecr\.BatchCheckLayerAvailability$ ]] ||
  fail "static keys: expected ECR GetAuthorizationToken and no OIDC or STS call, got: $calls"
assert_eq 0 "$(aws_count '.status != 200')" "failed AWS calls: $(aws_since .)"
assert_ecr_calls_in_region
# Basic credentials on every registry request, the first one included: private ECR takes
# AWS:<token> as Basic credentials, so there is no anonymous request to learn the scheme and no
# 401. GET /v2/ is left out: skopeo's checks above ping without credentials.
assert_eq 0 "$(count_requests DST '[A-Z]+' '/v2/.+' 401)" "registry requests refused (401)"

assert_no_secret_printed "$ECR_PASSWORD"
assert_masked_early "AWS_SECRET_ACCESS_KEY" "$STATIC_SECRET"
assert_run_masking
log "static keys: ECR token, byte-identical copy, no secret printed"

# ---------------------------------------------------------------- 2. no-op, keys win over a role
# The SDKs' order: keys in the environment come before AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE.
printf 'not-a-token-that-may-be-used\n' >"$TEST_TMP/unused-token"
export AWS_ROLE_ARN="$ROLE" AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_TMP/unused-token"
aws_mark
registry_mark DST
run_aws noop "${mirror_args[@]}" --destination "$DST_ADDR/team/app"
assert_rc 0 "no-op re-run"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (no-op)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_eq 0 "$(aws_count '.service == "sts" or .service == "oidc"')" \
  "STS/OIDC calls while AWS_ACCESS_KEY_ID is set (keys come first in the chain)"
assert_eq 1 "$(aws_count '.action == "GetAuthorizationToken"')" "ECR tokens fetched by the no-op run"
assert_no_secret_printed "$ECR_PASSWORD"
assert_run_masking
log "no-op re-run: nothing written; static keys take precedence over AWS_ROLE_ARN"

# ---------------------------------------------------------------- 3. missing repository
unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
aws_mark
registry_mark DST
run_aws missing "${mirror_args[@]}" --destination "$DST_ADDR/team/web"
assert_rc 1 "missing repository without --create-repository"
printed="$(cat "$RUN_PRINTED")"
assert_contains "$printed" "--create-repository" "message for a missing repository"
assert_contains "$printed" "team/web" "message for a missing repository"
assert_eq 1 "$(aws_count '.action == "DescribeRepositories" and .error == "RepositoryNotFoundException"')" \
  "DescribeRepositories answered RepositoryNotFoundException"
assert_eq 0 "$(aws_count '.action == "CreateRepository"')" "CreateRepository calls without the flag"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_no_secret_printed "$ECR_PASSWORD"
log "missing repository: exit 1 naming --create-repository, nothing written"

# ---------------------------------------------------------------- 4. web identity file + create
# The EKS flow: a role and a token file, no keys. The token is a GitHub-shaped JWT from the OIDC
# endpoint (STS here checks its signature, audience and subject).
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
saved_request_url="$ACTIONS_ID_TOKEN_REQUEST_URL"
saved_request_token="$ACTIONS_ID_TOKEN_REQUEST_TOKEN"
curl -sS --max-time 10 -H "Authorization: Bearer $saved_request_token" \
  "$saved_request_url&audience=sts.amazonaws.com" | jq -r .value >"$TEST_TMP/web-identity-token"
web_identity_token="$(cat "$TEST_TMP/web-identity-token")"
[[ "$web_identity_token" == ey*.*.* ]] || fail "the OIDC endpoint did not return a JWT"
unset ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN
export AWS_ROLE_ARN="$ROLE" AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_TMP/web-identity-token"
export AWS_ROLE_SESSION_NAME=eks-pod-session
aws_mark
run_aws web-identity "${mirror_args[@]}" --destination "$DST_ADDR/team/web" --create-repository
assert_rc 0 "copy with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE and --create-repository"
assert_eq true "$(output_or_fail changed)" "changed (created repository)"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/team/web:2.1" "" "$DST_CREDS"
calls="$(aws_calls)"
[[ "$calls" == sts.AssumeRoleWithWebIdentity,ecr.GetAuthorizationToken,*ecr.DescribeRepositories,ecr.CreateRepository* ]] ||
  fail "web identity: expected STS, GetAuthorizationToken, DescribeRepositories, CreateRepository; got: $calls"
assert_eq 0 "$(aws_count '.service == "oidc"')" "OIDC requests in the web identity file flow"
sts="$(aws_since 'select(.service == "sts")')"
assert_eq "$ROLE" "$(jq -r .RoleArn <<<"$sts")" "STS RoleArn (AWS_ROLE_ARN)"
assert_eq eks-pod-session "$(jq -r .RoleSessionName <<<"$sts")" "STS RoleSessionName (AWS_ROLE_SESSION_NAME)"
assert_eq 200 "$(jq -r .status <<<"$sts")" "STS status"
assert_ecr_calls_in_region
create="$(aws_since 'select(.action == "CreateRepository") | .params')"
assert_eq team/web "$(jq -r .repositoryName <<<"$create")" "CreateRepository repositoryName"
assert_eq true "$(jq -r .imageScanningConfiguration.scanOnPush <<<"$create")" "scanOnPush"
assert_eq AES256 "$(jq -r .encryptionConfiguration.encryptionType <<<"$create")" "encryptionType"
assert_eq MUTABLE "$(jq -r .imageTagMutability <<<"$create")" "imageTagMutability"
assert_eq null "$(jq -c .catalogData <<<"$create")" "catalogData (ECR Public only)"
jq -e '.repositories.ecr | any(.name == "team/web")' <(curl -sS "$AWS_SERVER_URL/_control") >/dev/null ||
  fail "team/web is not in aws_server.py's ECR repositories"
assert_no_secret_printed "$ECR_PASSWORD"
assert_masked_early "the web identity token" "$web_identity_token"
assert_run_masking
log "web identity file: STS with AWS_ROLE_ARN, CreateRepository with scan on push/AES256/MUTABLE"

# ---------------------------------------------------------------- 5. token expiring mid-copy
# Every request to a private ECR registry carries the token's password, so a copy that outlives
# the token must fetch a new one. Tokens now live 3 s; blob downloads are slowed so that the copy
# takes longer. (The password stays the same: htpasswd holds one, so this counts the renewals;
# aws_failures.sh covers a registry that refuses the old password.)
proxy_start SLOWSRC SRC --blob-delay 0.4
aws_scenario '{"ecr_expires_in": 3}'
aws_mark
started=$SECONDS
run_aws expiring --source "$SLOWSRC_ADDR/library/app:2.1" --destination "$DST_ADDR/team/slow" \
  --insecure-registries "$SLOWSRC_ADDR,$DST_ADDR" --destination-type ecr --aws-region eu-west-1 \
  --create-repository --concurrency 1
assert_rc 0 "copy that outlives its ECR token"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/team/slow:2.1" "" "$DST_CREDS"
token_count="$(aws_count '.action == "GetAuthorizationToken" and .status == 200')"
((token_count >= 2)) || fail "a run of $((SECONDS - started)) s with 3 s ECR tokens fetched $token_count token(s)"
assert_eq 1 "$(aws_count '.service == "sts"')" "STS calls (the AWS credentials outlive the ECR tokens)"
assert_no_secret_printed "$ECR_PASSWORD"
assert_run_masking
log "a copy outliving its 3 s ECR token fetched $token_count tokens"

aws_server_stop
pass
