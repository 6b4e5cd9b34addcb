#!/usr/bin/env bash
# The action's container, built and run the way the GitHub Actions runner does it, on this
# machine: podman (runc) builds the Dockerfile on a local debian:bookworm-slim made with
# debootstrap, then runs the image with --workdir /github/workspace, the runner's mounts, every
# declared input as INPUT_<NAME> (defaults from action.yml), GITHUB_ACTIONS=true and
# GITHUB_OUTPUT / GITHUB_STEP_SUMMARY under /github/file_commands, against loopback registries
# and the AWS test server. Asserts what lands in the outputs and summary files.
#
#   tests/container/run.sh          needs root, podman, runc, debootstrap (exit 77 without them)
#
# Environment:
#   ECRM_SKIP_CONTAINER=1           skip (exit 77)
#   ECRM_CONTAINER_CACHE=DIR        base-image tarball and podman storage (/var/cache/ecr-mirror-test);
#                                   an empty DIR measures a first run (debootstrap, cold build)
#   ECRM_CONTAINER_REPORT=FILE      write image_size_bytes, base_size_bytes, build_seconds there
#   ECRM_KEEP_TMP=1                 keep the temp dir (logs, outputs files)
# Nothing outside the cache dir, /run/ecr-mirror-test and the suite's temp dir is touched: podman
# gets its own containers.conf, storage.conf and registries.conf.
# shellcheck disable=SC2154 # SRC_*/DST_*/BASIC_*/ECRP_* are exported by registry_start
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib/registry.sh
source "$REPO_DIR/tests/lib/registry.sh"
# shellcheck source=../lib/aws_env.sh
source "$REPO_DIR/tests/lib/aws_env.sh"
# shellcheck source=./action_yml.sh
source "$HERE/action_yml.sh"
# shellcheck source=./podman_env.sh
source "$HERE/podman_env.sh"

# shellcheck disable=SC2034 # read by skip() in common.sh
SUITE=container_action
[[ "${ECRM_SKIP_CONTAINER:-}" == 1 ]] && skip "ECRM_SKIP_CONTAINER=1"
[[ "$(id -u)" == 0 ]] || skip "needs root (podman with runc and debootstrap run as root here)"
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool is not installed (apt-get install podman runc debootstrap to run this suite)"
done
suite_init container_action
trap container_cleanup EXIT
require_tools docker-registry skopeo jq curl

IMAGE=localhost/ecr-mirror-action:test
ACTION_YML="$REPO_DIR/action.yml"
ACTION_TIMEOUT="${ECRM_RUN_TIMEOUT:-180}"
_CONTAINERS=()

container_cleanup() {
  local rc=$? name
  trap - ERR
  for name in "${_CONTAINERS[@]}"; do
    podman rm --force --time 2 "$name" >/dev/null 2>&1 || true
  done
  _CONTAINERS=()
  podman_cleanup
  (exit "$rc")
  cleanup_all
}

# ---------------------------------------------------------------- image

podman_setup "$TEST_TMP/podman"
ensure_base_image

log "building $IMAGE from $REPO_DIR/Dockerfile (log: build.log)"
build_args=(build --network host --pull=never --layers -f "$REPO_DIR/Dockerfile")
started=$SECONDS
# The build stage first, under a name: a named image keeps its layers (the compiler packages)
# from the prune below. The full build then finds that stage in the cache.
timeout --kill-after=10 1500 podman "${build_args[@]}" --target build \
  -t localhost/ecr-mirror-action-build:test "$REPO_DIR" >"$TEST_TMP/build.log" 2>&1 ||
  fail "podman build (build stage) failed: $(tail -n 30 "$TEST_TMP/build.log")"
timeout --kill-after=10 600 podman build --network host --pull=never --layers \
  -f "$REPO_DIR/Dockerfile" -t "$IMAGE" "$REPO_DIR" >>"$TEST_TMP/build.log" 2>&1 ||
  fail "podman build failed: $(tail -n 30 "$TEST_TMP/build.log")"
build_seconds=$((SECONDS - started))
# Images a previous run left without a name (an older build of changed sources).
podman image prune --force >/dev/null 2>&1 || true

size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
base_size="$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")"
log "image built in ${build_seconds} s: $size bytes ($((size / 1000000)) MB; the base image is $((base_size / 1000000)) MB)"
printf 'image_size_bytes=%s\nbase_size_bytes=%s\nbuild_seconds=%s\n' "$size" "$base_size" \
  "$build_seconds" >"${ECRM_CONTAINER_REPORT:-/dev/null}"

# The runner needs root and its own working directory; the entrypoint is the program itself.
assert_eq "" "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" "image USER"
assert_eq "" "$(podman image inspect --format '{{.Config.WorkingDir}}' "$IMAGE")" "image WORKDIR"
assert_eq "[/usr/local/bin/ecr-mirror]" "$(podman image inspect --format '{{.Config.Entrypoint}}' "$IMAGE")" "ENTRYPOINT"
# Small: the base plus the libraries it lacks (scripts/runtime-closure.sh), a stripped binary and
# the CA bundle; no compiler, no package manager state came along (11 MB measured).
((size - base_size < 15 * 1000 * 1000)) ||
  fail "the final stage adds $(((size - base_size) / 1000000)) MB to the base; expected under 15 MB"
podman run --rm --network none --entrypoint /bin/sh "$IMAGE" -c 'test -s /etc/ssl/certs/ca-certificates.crt' ||
  fail "the final image has no CA bundle at /etc/ssl/certs/ca-certificates.crt"
if podman run --rm --network none --entrypoint /bin/sh "$IMAGE" -c \
  'command -v g++ || command -v cc || command -v cmake || ls /usr/include/curl' >/dev/null 2>&1; then
  fail "the final image contains a compiler, cmake or -dev headers"
fi

# ---------------------------------------------------------------- running it as the runner does

# run_action LABEL [NAME=VALUE...]: one container action step. Every input action.yml declares is
# passed (the runner sends declared inputs with their defaults); INPUT_* arguments override them,
# other NAME=VALUE pairs are extra environment. Values travel through podman's environment
# (-e NAME), never its command line, as the runner does. Sets RUN_RC, RUN_STDOUT, RUN_STDERR,
# RUN_OUT (the host path of the outputs file) and RUN_SUMMARY.
run_action() {
  local label="$1"
  shift
  local dir="$TEST_TMP/step-$label" id
  id="$(cat /proc/sys/kernel/random/uuid)"
  mkdir -p "$dir"/{workspace,file_commands,github_home,github_workflow,runner_temp}
  [[ -d "$TEST_TMP/workspace" ]] && cp -a "$TEST_TMP/workspace/." "$dir/workspace/"
  RUN_OUT="$dir/file_commands/set_output_$id"
  RUN_SUMMARY="$dir/file_commands/step_summary_$id"
  RUN_STDOUT="$dir/stdout"
  RUN_STDERR="$dir/stderr"
  : >"$RUN_OUT"
  : >"$RUN_SUMMARY"

  local -A env=()
  local name default
  while IFS=$'\t' read -r name _ _ default; do
    env["INPUT_${name^^}"]="$default"
  done < <(action_inputs "$ACTION_YML")
  local pair
  for pair in "$@"; do
    [[ "$pair" == *=* ]] || fail "run_action: expected NAME=VALUE, got '$pair'"
    if [[ "$pair" == INPUT_* && -z "${env[${pair%%=*}]+set}" ]]; then
      fail "run_action: ${pair%%=*} is not an input declared in action.yml"
    fi
    env["${pair%%=*}"]="${pair#*=}"
  done
  env[HOME]=/github/home
  env[GITHUB_ACTIONS]=true
  env[CI]=true
  env[GITHUB_WORKSPACE]=/github/workspace
  env[RUNNER_TEMP]=/github/runner_temp
  env[GITHUB_OUTPUT]="/github/file_commands/set_output_$id"
  env[GITHUB_STEP_SUMMARY]="/github/file_commands/step_summary_$id"

  local container="ecrm-it-${TEST_TMP##*.}-$label" args=() env_args=()
  container="${container,,}"
  for name in "${!env[@]}"; do
    env_args+=(-e "$name")
  done
  args=(run --rm --name "$container" --network host --workdir /github/workspace
    -v "$dir/workspace:/github/workspace" -v "$dir/file_commands:/github/file_commands"
    -v "$dir/github_home:/github/home" -v "$dir/github_workflow:/github/workflow"
    -v "$dir/runner_temp:/github/runner_temp" "${env_args[@]}" "$IMAGE")
  _CONTAINERS+=("$container")
  log "step $label: podman run $IMAGE with ${#env[@]} variables"
  RUN_RC=0
  local assignments=()
  for name in "${!env[@]}"; do
    assignments+=("$name=${env[$name]}")
  done
  env "${assignments[@]}" timeout --kill-after=5 "$ACTION_TIMEOUT" podman "${args[@]}" \
    >"$RUN_STDOUT" 2>"$RUN_STDERR" </dev/null || RUN_RC=$?
  if [[ $RUN_RC -eq 124 || $RUN_RC -eq 137 ]]; then
    podman rm --force --time 2 "$container" >/dev/null 2>&1 || true
    fail "step $label: the container did not finish within $ACTION_TIMEOUT s"
  fi
  log "step $label: exit $RUN_RC"
}

assert_summary_table() {
  local text
  text="$(cat "$RUN_SUMMARY")"
  assert_contains "$text" "| Source | \`$1\` |" "step summary"
  assert_contains "$text" "| Mirrored digest | \`$2\` |" "step summary"
  assert_contains "$text" "|---|---|" "step summary"
}

# assert_only_masked SECRET WHAT: SECRET occurs in the step's output only inside an ::add-mask::
# command, and that command came before any other line (the runner hides it from then on).
assert_only_masked() {
  local secret="$1" what="$2" first_mask first_other
  if grep -vE '^::add-mask::' "$RUN_STDOUT" "$RUN_STDERR" | grep -qF -- "$secret"; then
    fail "$what appears in the step's log outside ::add-mask::"
  fi
  first_mask="$(grep -nxF -- "::add-mask::$secret" "$RUN_STDOUT" | head -n 1 | cut -d: -f1)"
  [[ -n "$first_mask" ]] || fail "$what was never masked with ::add-mask::"
  first_other="$(grep -nvE '^::add-mask::' "$RUN_STDOUT" | head -n 1 | cut -d: -f1)"
  [[ -z "$first_other" || "$first_mask" -lt "$first_other" ]] ||
    fail "$what was masked on stdout line $first_mask, after other output (line $first_other)"
}

# A workflow command the runner would turn into a failed step.
assert_no_error_command() {
  if grep -qE '^::error' "$RUN_STDOUT" "$RUN_STDERR"; then
    fail "the step printed an ::error:: command: $(grep -hE '^::error' "$RUN_STDOUT" "$RUN_STDERR" | head -n 3)"
  fi
}

# ---------------------------------------------------------------- (a) plain registries

registry_start SRC plain
registry_start DST plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 2 \
  --layer-size 131072 --seed 41 --tag 2.0
seed_image "$TEST_TMP/img" SRC library/app:2.0
digest="$(ref_digest "$SRC_ADDR/library/app:2.0")"
short="${digest#sha256:}"
short="${short:0:12}"
inputs=("INPUT_SOURCE=$SRC_ADDR/library/app:2.0" "INPUT_DESTINATION=$DST_ADDR/mirror/app"
  "INPUT_INSECURE-REGISTRIES=$SRC_ADDR,$DST_ADDR")

run_action first "${inputs[@]}"
assert_rc 0 "first mirror in the container"
assert_eq true "$(output_or_fail changed)" "changed (first run)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest = skopeo's source digest"
assert_eq "$digest" "$(output_or_fail source-digest)" "source-digest"
assert_same_set "2.0,2.0-$short" "$(output_or_fail tags-pushed)" "tags-pushed"
assert_eq "$DST_ADDR/mirror/app@$digest" "$(output_or_fail image)" "image"
assert_summary_table "$SRC_ADDR/library/app:2.0" "$digest"
assert_no_error_command
assert_same_image "$SRC_ADDR/library/app:2.0" "$DST_ADDR/mirror/app:2.0"
assert_same_image "$SRC_ADDR/library/app:2.0" "$DST_ADDR/mirror/app:2.0-$short"

registry_mark DST
run_action noop "${inputs[@]}"
assert_rc 0 "no-op run in the container"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (no-op)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest (no-op)"
assert_contains "$(cat "$RUN_SUMMARY")" "| Tags pushed | none" "step summary (no-op)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0

# A relative docker-config resolves against /github/workspace (the runner's --workdir), and the
# password in it never reaches the log.
registry_start BASIC basic
mkdir -p "$TEST_TMP/workspace/ci"
auth="$(printf '%s' "$BASIC_CREDS" | base64 -w0)"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$BASIC_ADDR" "$auth" >"$TEST_TMP/workspace/ci/docker-config.json"
run_action workspace "INPUT_SOURCE=$SRC_ADDR/library/app:2.0" "INPUT_DESTINATION=$BASIC_ADDR/mirror/app" \
  "INPUT_INSECURE-REGISTRIES=$SRC_ADDR,$BASIC_ADDR" "INPUT_DOCKER-CONFIG=ci/docker-config.json" \
  "INPUT_TAGS=stable"
assert_rc 0 "mirror with a docker config from the workspace"
assert_eq stable "$(output_or_fail tags-pushed)" "tags-pushed (docker config)"
assert_same_image "$SRC_ADDR/library/app:2.0" "$BASIC_ADDR/mirror/app:stable" "" "$BASIC_CREDS"
assert_only_masked "$BASIC_PASS" "the password from the docker config"

# Bad input: exit 2 and an ::error:: command naming the input.
run_action bad-input "INPUT_SOURCE=$SRC_ADDR/library/app:2.0" "INPUT_DESTINATION=$DST_ADDR/mirror/app" \
  "INPUT_CONCURRENCY=0"
assert_rc 2 "concurrency 0"
assert_contains "$(cat "$RUN_STDOUT" "$RUN_STDERR")" "INPUT_CONCURRENCY" "error for a bad input"
log "scenario (a) passed: plain registries, no-op, workspace docker config, bad input"

# ---------------------------------------------------------------- (b) OIDC → STS → ECR Public

ROLE=arn:aws:iam::123456789012:role/ecr-mirror-push
# A job without `permissions: id-token: write` gets no ACTIONS_ID_TOKEN_REQUEST_*: the step must
# fail and say so.
run_action no-id-token "INPUT_SOURCE=$SRC_ADDR/library/app:2.0" \
  "INPUT_DESTINATION=$DST_ADDR/probe/app" "INPUT_DESTINATION-TYPE=ecr-public" \
  "INPUT_ROLE-TO-ASSUME=$ROLE" "INPUT_INSECURE-REGISTRIES=$SRC_ADDR,$DST_ADDR"
assert_rc 1 "a role to assume without the OIDC variables"
assert_contains "$(cat "$RUN_STDOUT")" "::error" "workflow command for the missing OIDC variables"
assert_contains "$(cat "$RUN_STDOUT" "$RUN_STDERR")" "id-token: write" "error without the OIDC variables"

registry_start ECRP token
aws_server_start --users-file "$ECRP_USERS_FILE" --github-repo octo-org/ecr-mirror \
  --registry-root "$ECRP_DIR/data" \
  --github-ref refs/heads/main
aws_env=("ACTIONS_ID_TOKEN_REQUEST_URL=$ACTIONS_ID_TOKEN_REQUEST_URL"
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN=$ACTIONS_ID_TOKEN_REQUEST_TOKEN"
  "AWS_ENDPOINT_URL_STS=$AWS_ENDPOINT_URL_STS" "AWS_ENDPOINT_URL_ECR_PUBLIC=$AWS_ENDPOINT_URL_ECR_PUBLIC")
run_action aws "${aws_env[@]}" "INPUT_SOURCE=$SRC_ADDR/library/app:2.0" \
  "INPUT_DESTINATION=$ECRP_ADDR/ecrm-test/app" "INPUT_DESTINATION-TYPE=ecr-public" \
  "INPUT_ROLE-TO-ASSUME=$ROLE" "INPUT_INSECURE-REGISTRIES=$SRC_ADDR,$ECRP_ADDR" \
  "INPUT_CREATE-REPOSITORY=true"
assert_rc 0 "mirror into ECR Public through OIDC and STS"
assert_eq true "$(output_or_fail changed)" "changed (ECR Public)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest (ECR Public)"
assert_same_set "2.0,2.0-$short" "$(output_or_fail tags-pushed)" "tags-pushed (ECR Public)"
assert_summary_table "$SRC_ADDR/library/app:2.0" "$digest"
assert_same_image "$SRC_ADDR/library/app:2.0" "$ECRP_ADDR/ecrm-test/app:2.0" "" "$ECRP_CREDS"
for action in AssumeRoleWithWebIdentity GetAuthorizationToken CreateRepository; do
  [[ "$(aws_server_requests "select(.action == \"$action\" and .status == 200)" | wc -l)" -ge 1 ]] ||
    fail "the AWS test server answered no $action request with 200"
done
# Secrets may reach the runner only inside ::add-mask:: commands.
for stream in stdout stderr; do
  grep -v '^::add-mask::' "$TEST_TMP/step-aws/$stream" >"$TEST_TMP/step-aws/$stream.unmasked" || true
done
aws_server_assert_no_secrets "$TEST_TMP/step-aws/stdout.unmasked" "$TEST_TMP/step-aws/stderr.unmasked" \
  "$RUN_OUT" "$RUN_SUMMARY"

# The scheduled run that finds nothing new: same credentials flow, no write, repository exists.
registry_mark ECRP
run_action aws-noop "${aws_env[@]}" "INPUT_SOURCE=$SRC_ADDR/library/app:2.0" \
  "INPUT_DESTINATION=$ECRP_ADDR/ecrm-test/app" "INPUT_DESTINATION-TYPE=ecr-public" \
  "INPUT_ROLE-TO-ASSUME=$ROLE" "INPUT_INSECURE-REGISTRIES=$SRC_ADDR,$ECRP_ADDR"
assert_rc 0 "no-op mirror into ECR Public"
assert_eq false "$(output_or_fail changed)" "changed (ECR Public no-op)"
assert_requests ECRP 'PUT|POST|PATCH|DELETE' '.*' 0
log "scenario (b) passed: OIDC -> STS -> ECR Public token (repository created) -> token-auth registry, then a no-op"
pass
