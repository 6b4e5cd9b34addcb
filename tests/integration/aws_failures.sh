#!/usr/bin/env bash
# The AWS failure paths, with AWS and GitHub played by tests/lib/aws_server.py. Each failure
# exits with the right code, says what to check, and prints no secret; retryable faults are
# retried (bounded, with backoff) and then succeed; a refused DescribeRepositories (the
# least-privilege policy) does not stop a copy without --create-repository; an ECR token that
# expires during a copy is replaced, against a token server that stops accepting the old
# password once it expired.
# (A missing repository with and without --create-repository: aws_ecr_public.sh and
# aws_ecr_private.sh.)
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/SLOWSRC_* are exported by registry_start*/proxy_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
aws_suite_init aws_failures
export GITHUB_REPOSITORY=octo-org/octo-repo GITHUB_REF=refs/heads/main

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
STATIC_AKID=AKIAECRMFAILURES0001
STATIC_SECRET="static/$(random_hex 16)"
WRONG_SECRET="wrong/$(random_hex 16)"
ROLE="arn:aws:iam::123456789012:role/ecr-public-push"
BEARER_SECONDS=2
ECR_TOKEN_SECONDS=3

registry_start SRC plain
# Short-lived bearer tokens: a copy keeps asking the token server, with the ECR password.
registry_start DST token --token-lifetime "$BEARER_SECONDS"
# --ecr-revoke-expired: an expired ECR password is dropped from the token server's users file.
aws_server_start --users-file "$DST_USERS_FILE" --ecr-revoke-expired \
  --registry-root "$DST_DIR/data" --public-alias alias \
  --static-credentials "$STATIC_AKID:$STATIC_SECRET" \
  --github-repo "$GITHUB_REPOSITORY" --github-ref "$GITHUB_REF"
aws_scenario '{"repositories": {"ecr-public": ["app", "slow"]}}'

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 3 --layer-size 16384 \
  --seed 51 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0

base_args=(--source "$SRC_ADDR/library/app:1.0" --insecure-registries "$SRC_ADDR,$DST_ADDR"
  --destination-type ecr-public)
role_args=("${base_args[@]}" --role-to-assume "$ROLE")
app=(--destination "$DST_ADDR/alias/app")

# assert_failed_before_registry WHAT: exit 1, and not one request reached the destination.
assert_failed_before_registry() {
  assert_rc 1 "$1"
  assert_eq 0 "$(count_requests DST '[A-Z]+' '.*')" "destination registry requests after: $1"
}

printed() { cat "$RUN_PRINTED"; }

# ---------------------------------------------------------------- OIDC variables missing
saved_request_url="$ACTIONS_ID_TOKEN_REQUEST_URL"
saved_request_token="$ACTIONS_ID_TOKEN_REQUEST_TOKEN"
unset ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN
aws_mark
registry_mark DST
run_aws oidc-missing "${role_args[@]}" "${app[@]}"
assert_failed_before_registry "--role-to-assume without the OIDC variables"
assert_contains "$(printed)" "id-token: write" "message when the OIDC variables are missing"
assert_contains "$(printed)" "ACTIONS_ID_TOKEN_REQUEST" "message when the OIDC variables are missing"
assert_eq "" "$(aws_calls)" "AWS calls without the OIDC variables"
assert_no_secret_printed "$saved_request_token"
export ACTIONS_ID_TOKEN_REQUEST_URL="$saved_request_url" ACTIONS_ID_TOKEN_REQUEST_TOKEN="$saved_request_token"
log "OIDC variables missing: exit 1, says id-token: write"

# ---------------------------------------------------------------- STS AccessDenied
# The trust policy's sub condition names another repository.
aws_scenario '{"allowed_sub": "repo:someone-else/*"}'
aws_mark
registry_mark DST
run_aws sts-denied "${role_args[@]}" "${app[@]}"
assert_failed_before_registry "STS AccessDenied"
text="$(printed)"
assert_contains "$text" "AccessDenied" "AccessDenied message"
assert_contains "$text" "trust policy" "AccessDenied message"
assert_contains "$text" "$ROLE" "AccessDenied message"
assert_contains "$text" "token.actions.githubusercontent.com:aud" "AccessDenied message"
assert_contains "$text" "token.actions.githubusercontent.com:sub" "AccessDenied message"
assert_contains "$text" "repo:$GITHUB_REPOSITORY:ref:$GITHUB_REF" "AccessDenied message (the sub to allow)"
assert_eq "oidc.token,sts.AssumeRoleWithWebIdentity" "$(aws_calls)" "AWS calls (AccessDenied is not retried)"
assert_no_secret_printed
assert_run_masking
aws_scenario '{"reset": true}'
log "STS AccessDenied: exit 1, names the trust policy, aud and sub"

# A token for another audience: InvalidIdentityToken, and the message points at the audience.
aws_mark
registry_mark DST
run_aws sts-audience "${role_args[@]}" "${app[@]}" --audience sts.example.com
assert_failed_before_registry "STS InvalidIdentityToken"
assert_contains "$(printed)" "InvalidIdentityToken" "InvalidIdentityToken message"
assert_contains "$(printed)" "sts.example.com" "InvalidIdentityToken message (the audience asked for)"
assert_eq sts.example.com "$(aws_since 'select(.service == "oidc") | .audience' | jq -r .)" "OIDC audience"
assert_no_secret_printed
assert_run_masking
log "STS InvalidIdentityToken: exit 1, names the audience"

# ---------------------------------------------------------------- STS throttled, then success
aws_scenario '{"sts_fail": ["Throttling", "Throttling"]}'
aws_mark
run_aws sts-throttled "${role_args[@]}" "${app[@]}"
assert_rc 0 "STS throttled twice, then success"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/alias/app:1.0" "" "$DST_CREDS"
assert_eq 3 "$(aws_count '.service == "sts"')" "STS calls"
assert_eq 2 "$(aws_count '.service == "sts" and .error == "Throttling"')" "throttled STS calls"
assert_eq 1 "$(aws_count '.service == "oidc"')" "OIDC requests (the token is reused across retries)"
# Backoff: no retry fires at once (equal jitter: at least half the 0.5 s base).
mapfile -t sts_times < <(aws_since 'select(.service == "sts") | .time')
for i in 1 2; do
  jq -ne --argjson a "${sts_times[i - 1]}" --argjson b "${sts_times[i]}" '$b - $a >= 0.2' >/dev/null ||
    fail "STS retry $i came $(jq -n "${sts_times[i]} - ${sts_times[i - 1]}") s after the previous call: no backoff"
done
assert_no_secret_printed "$DST_PASS"
assert_run_masking
log "STS throttled twice: retried with backoff, third call succeeded"

# A 500 from GitHub's token endpoint, IDPCommunicationError and a 503 from STS, a throttle and a
# 500 from ECR Public: all retried.
aws_scenario '{"oidc_fail": [500], "sts_fail": ["IDPCommunicationError", 503], "ecr_fail": ["ThrottlingException", 500]}'
aws_mark
run_aws retryable "${role_args[@]}" "${app[@]}"
assert_rc 0 "retryable OIDC, STS and ECR Public faults"
assert_eq 2 "$(aws_count '.service == "oidc"')" "OIDC requests (500, success)"
assert_eq 3 "$(aws_count '.service == "sts"')" "STS calls (IDPCommunicationError, 503, success)"
assert_eq 3 "$(aws_count '.action == "GetAuthorizationToken"')" "GetAuthorizationToken calls (throttle, 500, success)"
assert_no_secret_printed "$DST_PASS"
log "OIDC 500, IDPCommunicationError, 503, ThrottlingException and 500: retried"

# Throttled for good: the retries are bounded and the message says so.
aws_scenario '{"sts_always": "Throttling"}'
aws_mark
registry_mark DST
started=$SECONDS
run_aws sts-throttled-always "${role_args[@]}" "${app[@]}"
assert_failed_before_registry "STS throttled on every call"
calls="$(aws_count '.service == "sts"')"
((calls >= 2 && calls <= 10)) || fail "STS was called $calls times while throttled: expected a few bounded retries"
((SECONDS - started <= 40)) || fail "throttled STS held the run for $((SECONDS - started)) s"
assert_contains "$(printed)" "Throttling" "message when STS keeps throttling"
assert_no_secret_printed
aws_scenario '{"reset": true}'
log "STS throttled on every call: gave up after $calls calls"

# ---------------------------------------------------------------- wrong signature
# Static keys whose secret is wrong: the server's botocore signer computes another signature.
export AWS_ACCESS_KEY_ID="$STATIC_AKID" AWS_SECRET_ACCESS_KEY="$WRONG_SECRET"
aws_mark
registry_mark DST
run_aws wrong-signature "${base_args[@]}" "${app[@]}"
assert_failed_before_registry "a request signed with the wrong secret"
text="$(printed)"
assert_contains "$text" "InvalidSignatureException" "wrong-signature message"
assert_contains "$text" "secret access key" "wrong-signature message (what to check)"
assert_eq "ecr-public.GetAuthorizationToken" "$(aws_calls)" "AWS calls (a bad signature is not retried)"
assert_eq InvalidSignatureException "$(aws_since '.error' | jq -r .)" "error the server answered"
assert_no_secret_printed "$WRONG_SECRET"
assert_masked_early "AWS_SECRET_ACCESS_KEY" "$WRONG_SECRET"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
log "wrong signature: exit 1, InvalidSignatureException and what to check"

# ---------------------------------------------------------------- least privilege
# The README's policy allows DescribeRepositories only with --create-repository. Without the
# flag, a refused DescribeRepositories must not stop the copy; with it, the message names the
# action to allow.
aws_scenario '{"repositories": {"ecr-public": ["app", "slow", "least-privilege"]}, "ecr_fail": [{"code": "AccessDeniedException", "op": "DescribeRepositories"}]}'
aws_mark
run_aws describe-denied "${role_args[@]}" --destination "$DST_ADDR/alias/least-privilege"
assert_rc 0 "DescribeRepositories refused, without --create-repository"
assert_eq 1 "$(aws_count '.action == "DescribeRepositories" and .error == "AccessDeniedException"')" \
  "DescribeRepositories refused"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/alias/least-privilege:1.0" "" "$DST_CREDS"
assert_no_secret_printed "$DST_PASS"

aws_scenario '{"ecr_fail": [{"code": "AccessDeniedException", "op": "DescribeRepositories"}]}'
aws_mark
registry_mark DST
run_aws create-denied "${role_args[@]}" --destination "$DST_ADDR/alias/denied" --create-repository
assert_rc 1 "DescribeRepositories refused, with --create-repository"
assert_contains "$(printed)" "ecr-public:DescribeRepositories" "message when DescribeRepositories is refused"
assert_eq 0 "$(aws_count '.action == "CreateRepository"')" "CreateRepository calls after a refused DescribeRepositories"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_no_secret_printed "$DST_PASS"
aws_scenario '{"reset": true}'
log "least privilege: a refused DescribeRepositories is skipped without --create-repository, named with it"

# ---------------------------------------------------------------- ECR Public path without a name
aws_mark
run_aws no-repository "${role_args[@]}" --destination "$DST_ADDR/alias"
assert_rc 2 "an ECR Public destination without a repository after the alias"
assert_contains "$(printed)" "alias" "message for an ECR Public destination without a repository"
assert_eq "" "$(aws_calls)" "AWS calls for an invalid destination"
assert_no_secret_printed

# ---------------------------------------------------------------- ECR token expiring mid-copy
# ECR tokens live 3 s and are revoked once expired; bearer tokens live 2 s, so the copy (slowed
# by a proxy in front of the source) keeps presenting ECR credentials to the token server. A
# program that kept its first token would be refused from about 3.3 s on.
proxy_start SLOWSRC SRC --blob-delay 0.9
aws_scenario "{\"ecr_expires_in\": $ECR_TOKEN_SECONDS}"
aws_mark
run_aws ecr-expiring --source "$SLOWSRC_ADDR/library/app:1.0" --destination "$DST_ADDR/alias/slow" \
  --insecure-registries "$SLOWSRC_ADDR,$DST_ADDR" --destination-type ecr-public \
  --role-to-assume "$ROLE" --concurrency 1
assert_rc 0 "a copy that outlives its ECR Public token"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/alias/slow:1.0" "" "$DST_CREDS"
token_count="$(aws_count '.action == "GetAuthorizationToken" and .status == 200')"
((token_count >= 2)) || fail "the copy fetched $token_count ECR Public token(s) with ${ECR_TOKEN_SECONDS} s tokens"
mapfile -t passwords < <(new_issued ecr_passwords)
! grep -qxF -- "AWS:${passwords[0]}" "$DST_USERS_FILE" || fail "the first ECR password was never revoked"
first_token_at="$(aws_since 'select(.action == "GetAuthorizationToken") | .time' | head -n 1)"
revoked_by="$(jq -n "$first_token_at + $ECR_TOKEN_SECONDS + 0.3")"
granted_after="$(awk -v t="$revoked_by" '$1 ~ /^time=/ { split($1, a, "="); if (a[2] > t && /status=200 user=AWS /) n++ } END { print n + 0 }' "$DST_TOKEN_LOG")"
((granted_after >= 1)) ||
  fail "no bearer token was granted after the first ECR password expired: the copy did not outlive it (token log: $(tail -n 5 "$DST_TOKEN_LOG"))"
assert_no_secret_printed "$DST_PASS"
assert_run_masking
log "a copy outliving ${ECR_TOKEN_SECONDS} s ECR tokens fetched $token_count; $granted_after bearer token(s) granted after the first expired"

aws_server_stop
pass
