#!/usr/bin/env bash
# ECR Public end to end, with AWS and GitHub played by tests/lib/aws_server.py: the GitHub OIDC
# token → STS AssumeRoleWithWebIdentity → ECR Public GetAuthorizationToken → a push into a
# token-auth docker-registry whose token server accepts AWS:<password> (the way public.ecr.aws's
# token realm takes the ECR Public token as Basic credentials). Then a no-op re-run, and a
# missing repository without and with --create-repository (catalog data from the source index).
# Under GITHUB_ACTIONS=true, no secret may appear in anything printed but ::add-mask:: lines,
# and the OIDC and STS secrets are masked before the first ordinary line.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
# Nothing of the caller's AWS setup may reach ecr-mirror: the run must use OIDC and STS.
aws_suite_init aws_ecr_public
export GITHUB_REPOSITORY=octo-org/octo-repo GITHUB_REF=refs/heads/main
export GITHUB_STEP_SUMMARY="$TEST_TMP/step-summary.md"

ROLE="arn:aws:iam::123456789012:role/ecr-public-push"

# ---------------------------------------------------------------- servers and image
registry_start SRC plain
registry_start DST token
# The token server re-reads DST_USERS_FILE per request; aws_server.py appends AWS:<password>
# to it for every ECR token it issues.
aws_server_start --users-file "$DST_USERS_FILE" --github-repo "$GITHUB_REPOSITORY" \
  --registry-root "$DST_DIR/data" --public-alias alias \
  --github-ref "$GITHUB_REF"
aws_scenario '{"repositories": {"ecr-public": ["devcontainer-base"]}}'

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 2 \
  --layer-size 65536 --seed 31 --tag noble
seed_image "$TEST_TMP/img" SRC base:noble
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"

dst_repo="$DST_ADDR/alias/devcontainer-base"
# --aws-region is not us-east-1 on purpose: ECR Public is signed for us-east-1 regardless.
aws_args=(--role-to-assume "$ROLE" --role-session-name mirror-e2e --role-duration-seconds 1800
  --aws-region eu-central-1 --destination-type ecr-public)
mirror_args=(--source "$SRC_ADDR/base:noble" --insecure-registries "$SRC_ADDR,$DST_ADDR" "${aws_args[@]}")

# ---------------------------------------------------------------- 1. first copy
aws_mark
run_aws first "${mirror_args[@]}" --destination "$dst_repo"
assert_rc 0 "first copy into ECR Public"
# Outputs.
assert_eq true "$(output_or_fail changed)" "changed (first copy)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_eq "$digest" "$(output_or_fail source-digest)" "source-digest"
assert_same_set "noble,noble-$short" "$(output_or_fail tags-pushed)" "tags-pushed (first copy)"
assert_eq "$dst_repo@$digest" "$(output_or_fail image)" "image output"
# Byte identity, every child manifest too.
assert_same_image "$SRC_ADDR/base:noble" "$dst_repo:noble" "" "$DST_CREDS"
assert_same_image "$SRC_ADDR/base:noble" "$dst_repo:noble-$short" "" "$DST_CREDS"
# The AWS calls, in order: OIDC → STS → ECR Public token; nothing but a DescribeRepositories
# besides (the repository exists: no CreateRepository).
calls="$(aws_calls)"
# Blob presence: one BatchCheckLayerAvailability for the image's blobs (at most 100 a call),
# and no blob HEAD at the registry.
[[ "$calls" =~ ^oidc\.token,sts\.AssumeRoleWithWebIdentity,ecr-public\.GetAuthorizationToken(,ecr-public\.DescribeRepositories)?,ecr-public\.BatchCheckLayerAvailability$ ]] ||
  fail "AWS calls of the first copy: expected oidc → sts → GetAuthorizationToken → BatchCheckLayerAvailability, got: $calls"
assert_eq "$(summary "$TEST_TMP/img" '[.blobs[]] | length')" \
  "$(aws_since 'select(.action == "BatchCheckLayerAvailability") | .params.layerDigests | length' | jq -s add)" \
  "digests asked in BatchCheckLayerAvailability"
assert_eq 0 "$(count_requests DST HEAD '/v2/alias/devcontainer-base/blobs/.*')" "blob HEADs at the registry"
assert_eq 0 "$(aws_count '.status != 200 and .action != "DescribeRepositories"')" "failed AWS calls: $(aws_since .)"
assert_eq sts.amazonaws.com "$(aws_since 'select(.service == "oidc") | .audience' | jq -r .)" "OIDC audience"
sts="$(aws_since 'select(.service == "sts")')"
assert_eq "$ROLE" "$(jq -r .RoleArn <<<"$sts")" "STS RoleArn"
assert_eq mirror-e2e "$(jq -r .RoleSessionName <<<"$sts")" "STS RoleSessionName"
assert_eq 1800 "$(jq -r .DurationSeconds <<<"$sts")" "STS DurationSeconds"
assert_eq us-east-1 "$(aws_since 'select(.action == "GetAuthorizationToken") | .region' | jq -r .)" \
  "signing region of ECR Public GetAuthorizationToken"
# The registry saw the ECR Public password as Basic credentials of user AWS.
mapfile -t passwords < <(new_issued ecr_passwords)
assert_eq 1 "${#passwords[@]}" "ECR Public passwords issued during the first copy"
grep -qxF -- "AWS:${passwords[0]}" "$DST_USERS_FILE" || fail "the issued password is not in the token server's users file"
grep -q 'status=200 user=AWS .*granted=alias/devcontainer-base:[a-z,]*push' "$DST_TOKEN_LOG" ||
  fail "the token server never granted push on alias/devcontainer-base to AWS: $(tail -n 5 "$DST_TOKEN_LOG")"
# Secrets.
assert_no_secret_printed "$DST_PASS"
assert_run_masking
(($(bearer_tokens_masked) >= 1)) || fail "no registry bearer token was masked with ::add-mask::"
log "first copy: outputs, byte identity, OIDC → STS → ECR Public order, masking: ok"

# ---------------------------------------------------------------- 2. no-op re-run
aws_mark
registry_mark DST
run_aws noop "${mirror_args[@]}" --destination "$dst_repo"
assert_rc 0 "no-op re-run"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (no-op)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest (no-op)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_eq 1 "$(aws_count '.action == "GetAuthorizationToken" and .status == 200')" "ECR Public tokens fetched by the no-op run"
assert_eq 0 "$(aws_count '.action == "CreateRepository"')" "CreateRepository calls (no-op)"
assert_no_secret_printed "$DST_PASS"
assert_run_masking
log "no-op re-run: ok"

# ---------------------------------------------------------------- 3. missing repository, no flag
created_repo="$DST_ADDR/alias/created-app"
aws_mark
registry_mark DST
run_aws missing "${mirror_args[@]}" --destination "$created_repo"
assert_rc 1 "missing repository without --create-repository"
printed="$(cat "$RUN_PRINTED")"
assert_contains "$printed" "--create-repository" "message for a missing repository"
assert_contains "$printed" "created-app" "message for a missing repository"
assert_eq 1 "$(aws_count '.action == "DescribeRepositories" and .error == "RepositoryNotFoundException"')" \
  "DescribeRepositories answered RepositoryNotFoundException"
assert_eq 0 "$(aws_count '.action == "CreateRepository"')" "CreateRepository calls without the flag"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
[[ "$(jq -c '.repositories["ecr-public"] // [] | map(.name)' <(curl -sS "$AWS_SERVER_URL/_control"))" == '["devcontainer-base"]' ]] ||
  fail "a repository was created without --create-repository"
assert_no_secret_printed "$DST_PASS"
assert_run_masking
log "missing repository without --create-repository: exit 1 naming the flag, nothing written"

# ---------------------------------------------------------------- 4. --create-repository
aws_mark
run_aws create "${mirror_args[@]}" --destination "$created_repo" --create-repository \
  --repository-about $'# Mirror\nCopied by ecr-mirror.' --repository-usage 'docker pull public.ecr.aws/alias/created-app:noble' \
  --repository-tags 'team=platform,cost-center=42'
assert_rc 0 "copy with --create-repository"
assert_eq true "$(output_or_fail changed)" "changed (created repository)"
assert_same_image "$SRC_ADDR/base:noble" "$created_repo:noble" "" "$DST_CREDS"
calls="$(aws_calls)"
[[ "$calls" == *"ecr-public.DescribeRepositories,ecr-public.CreateRepository"* ]] ||
  fail "expected DescribeRepositories then CreateRepository, got: $calls"
assert_eq 1 "$(aws_count '.action == "CreateRepository" and .status == 200')" "CreateRepository calls"
create="$(aws_since 'select(.action == "CreateRepository") | .params')"
assert_eq created-app "$(jq -r .repositoryName <<<"$create")" "CreateRepository repositoryName"
assert_same_set "x86-64,ARM 64" "$(jq -r '.catalogData.architectures // [] | join(",")' <<<"$create")" \
  "catalogData.architectures (from linux/amd64 and linux/arm64)"
assert_eq '["Linux"]' "$(jq -c '.catalogData.operatingSystems' <<<"$create")" "catalogData.operatingSystems"
assert_contains "$(jq -r .catalogData.description <<<"$create")" "$SRC_ADDR/base:noble" "catalogData.description"
assert_eq $'# Mirror\nCopied by ecr-mirror.' "$(jq -r .catalogData.aboutText <<<"$create")" "catalogData.aboutText"
assert_eq 'docker pull public.ecr.aws/alias/created-app:noble' "$(jq -r .catalogData.usageText <<<"$create")" "catalogData.usageText"
assert_eq '[{"Key":"team","Value":"platform"},{"Key":"cost-center","Value":"42"}]' "$(jq -c .tags <<<"$create")" "resource tags"
jq -e '.repositories["ecr-public"] | any(.name == "created-app")' <(curl -sS "$AWS_SERVER_URL/_control") >/dev/null ||
  fail "created-app is not in aws_server.py's ECR Public repositories"
assert_no_secret_printed "$DST_PASS"
assert_run_masking

# Once it exists, --create-repository creates nothing more.
aws_mark
run_aws create-again "${mirror_args[@]}" --destination "$created_repo" --create-repository
assert_rc 0 "re-run with --create-repository on an existing repository"
assert_eq false "$(output_or_fail changed)" "changed (existing repository)"
assert_eq 0 "$(aws_count '.action == "CreateRepository"')" "CreateRepository calls for an existing repository"
log "--create-repository: CreateRepository with the source's catalog data, then the copy"

aws_server_stop
pass
