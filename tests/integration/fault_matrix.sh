#!/usr/bin/env bash
# Fault-injection matrix (issue 5): every request kind ecr-mirror sends × every fault that makes
# sense for it, injected by tests/lib/fault_proxy.py between ecr-mirror and the real registries,
# token servers and the AWS stand-in.
#   once/twice  the first occurrence (or two) fails: exit 0, skopeo finds the copy byte-identical,
#               the kind was retried a bounded number of times;
#   always      every occurrence fails: exit 1, the error names the request, the status or
#               failure and a fix; the destination's tags are where they were (1.0 stays on the
#               old image pre-seeded there, the immutable tag stays absent);
#   integrity   corrupted bytes: exit 1 naming the digest mismatch, nothing tagged;
#   redirect    every GET/HEAD of the kind is redirected to 127.0.0.2: exit 0, and the listener
#               there never saw an Authorization header;
#   bait        every GET/HEAD of the kind is redirected to 127.0.0.2, which answers 401 with a
#               Bearer challenge whose realm is itself: exit 1, and no credentials ever reach it.
# Every run also asserts that no secret (registry passwords, issued tokens, AWS secrets) appears
# in what ecr-mirror printed outside ::add-mask:: lines. Cases run in ECRM_MATRIX_LANES lanes
# (default 2), each lane with its own proxies; ECRM_MATRIX_ONLY (an ERE over "KIND FAULT VARIANT")
# runs a subset. The table goes to stderr (the suite's log) and to $TEST_TMP/matrix.txt, and to
# $ECRM_MATRIX_OUT when set.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/AWS_* are exported by registry_start / aws_env.sh
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
# shellcheck source-path=SCRIPTDIR/../lib source=aws_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_env.sh"
# shellcheck source-path=SCRIPTDIR/../lib source=fault_proxy.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/fault_proxy.sh"
# Behind an ECR personality (integration.fault_matrix@PRESET) the matrix injects its own 429s and
# counts retries per kind: the personality's own throttling stays off.
export ECRM_PERSONALITY_ARGS="--no-switch throttle"
suite_init fault_matrix
# TEST_TMP is re-pointed per lane inside cases; the suite-wide files live here.
SUITE_TMP="$TEST_TMP"
require_tools docker-registry skopeo jq curl
require_ecrm_bin
"$PY" -c 'import botocore' 2>/dev/null || skip "$PY lacks python3-botocore (the AWS stand-in needs it)"

LANES="${ECRM_MATRIX_LANES:-2}"
SUITE_STARTED=$SECONDS
ROLE_ARN="arn:aws:iam::123456789012:role/ecr-push"
# Only the AWS stand-in may answer AWS calls, and the caller's AWS setup must not leak in.
mkdir -p "$TEST_TMP/awscfg"
export AWS_CONFIG_FILE="$TEST_TMP/awscfg/config" AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/awscfg/credentials"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ROLE_ARN \
  AWS_WEB_IDENTITY_TOKEN_FILE AWS_REGION AWS_DEFAULT_REGION GITHUB_ACTIONS

registry_start SRC token
registry_start DST token
aws_server_start --users-file "$DST_USERS_FILE" --max-seconds "$ECRM_SERVER_LIFETIME" \
  --registry-root "$DST_DIR/data"
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 65536 --seed 51 --tag 1.0
make_image "$TEST_TMP/old" --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 65536 --seed 52 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
seed_image "$TEST_TMP/old" SRC library/app:old
NEW_DIGEST="$(summary "$TEST_TMP/img" .index_digest)"
OLD_DIGEST="$(summary "$TEST_TMP/old" .index_digest)"
SHORT="${NEW_DIGEST#sha256:}"
SHORT="${SHORT:0:12}"

# ---------------------------------------------------------------- proxies, one set per lane

REDIRECT_OK=1
for ((lane = 1; lane <= LANES; lane++)); do
  mkdir -p "$SUITE_TMP/lane$lane"
  fault_proxy_start "L${lane}SRC" "$SRC_ADDR" --token-upstream "$SRC_TOKEN_ADDR" --dir "$SUITE_TMP/lane$lane" --label src
  fault_proxy_start "L${lane}DST" "$DST_ADDR" --token-upstream "$DST_TOKEN_ADDR" --dir "$SUITE_TMP/lane$lane" --label dst
  fault_proxy_start "L${lane}AWS" "${AWS_SERVER_URL#http://}" --dir "$SUITE_TMP/lane$lane" --label aws
  redirect_var="L${lane}SRC_REDIRECT"
  [[ -n "${!redirect_var}" ]] || REDIRECT_OK=0
done
log "$LANES lanes of proxies up; redirect listener on 127.0.0.2: $([[ $REDIRECT_OK == 1 ]] && echo yes || echo no)"

# ---------------------------------------------------------------- what each case expects

KINDS=(ping token manifest-head manifest-get manifest-put blob-head blob-get upload-post upload-patch upload-put sts ecr-token)
FAULTS=(500 502 503 429 reset-before-response reset-mid-body stall 401-fresh-challenge truncated-body corrupt-bytes
  redirect-other-host redirect-challenge)

# Which proxy sees the kind: both registries for the kinds both sides send.
side_of() {
  case "$1" in
    ping | token | manifest-head) echo "" ;;
    manifest-get | blob-get) echo src ;;
    sts | ecr-token) echo aws ;;
    *) echo dst ;;
  esac
}
sides_of() { [[ -z "$(side_of "$1")" ]] && echo 2 || echo 1; }
is_aws_kind() { [[ "$1" == sts || "$1" == ecr-token ]]; }

# How a failing request must be named in the error.
request_pattern() {
  case "$1" in
    ping) echo 'GET http://[^ ]*/v2/|cannot reach the (source|destination) registry' ;;
    token) echo 'token request' ;;
    manifest-head) echo 'HEAD manifest' ;;
    manifest-get) echo 'GET manifest' ;;
    manifest-put) echo 'PUT manifest' ;;
    blob-head) echo 'HEAD blob' ;;
    blob-get) echo 'GET blob' ;;
    upload-post) echo 'POST blob upload' ;;
    upload-patch) echo 'PATCH blob' ;;
    upload-put) echo 'PUT blob' ;;
    sts) echo 'AssumeRoleWithWebIdentity' ;;
    ecr-token) echo 'GetAuthorizationToken' ;;
  esac
}

# How the failure itself must be described (FAULT KIND). AWS errors may name the status by the
# error code the service sent instead.
failure_pattern() {
  case "$1" in
    500 | 502 | 503 | 429)
      if is_aws_kind "$2"; then
        echo "(HTTP|status) $1|InternalFailure|ServerException|ServiceUnavailable|Throttling"
      else
        echo "(HTTP|status) $1"
      fi
      ;;
    401-fresh-challenge) echo '(HTTP|status) 401' ;;
    reset-before-response | reset-mid-body) echo '[Rr]eset|Empty reply|Recv failure|Send failure|closed' ;;
    stall) echo 'too slow|timed out|stalled' ;;
    truncated-body) echo 'transfer closed|bytes remaining|[Pp]artial|closed' ;;
    corrupt-bytes) echo 'do not match the digest|hashes to' ;;
  esac
}

# plan: "KIND FAULT VARIANT" for every case, the cell's variants in the order they run.
plan() {
  local kind fault
  for kind in "${KINDS[@]}"; do
    for fault in "${FAULTS[@]}"; do
      case "$fault" in
        500 | reset-before-response) echo "$kind $fault twice" "$kind $fault always" ;;
        502) echo "$kind $fault once" ;;
        503) echo "$kind $fault twice" ;;
        429) echo "$kind $fault once" ;;
        reset-mid-body)
          case "$kind" in
            token | manifest-get | sts | ecr-token | manifest-put) echo "$kind $fault once" ;;
            blob-get | upload-patch | upload-put) echo "$kind $fault once" "$kind $fault always" ;;
          esac
          ;;
        stall)
          case "$kind" in
            blob-get | upload-patch | upload-put | manifest-head) echo "$kind $fault once" "$kind $fault always" ;;
            *) echo "$kind $fault once" ;;
          esac
          ;;
        401-fresh-challenge)
          case "$kind" in
            ping | token | sts | ecr-token) ;;
            # A blob HEAD that stays 401 after a renewal says nothing (ECR Public's answer to
            # every blob HEAD): the blob is uploaded, and HEADs stop.
            blob-head) echo "$kind $fault once" "$kind $fault unknown" ;;
            *) echo "$kind $fault once" "$kind $fault always" ;;
          esac
          ;;
        truncated-body)
          case "$kind" in
            token | manifest-get | sts | ecr-token) echo "$kind $fault once" ;;
            blob-get) echo "$kind $fault once" "$kind $fault always" ;;
          esac
          ;;
        corrupt-bytes)
          case "$kind" in blob-get | manifest-get) echo "$kind $fault integrity" ;; esac
          ;;
        redirect-other-host)
          case "$kind" in blob-get | blob-head | manifest-get | manifest-head) echo "$kind $fault redirect" ;; esac
          ;;
        redirect-challenge)
          case "$kind" in blob-get | manifest-head) echo "$kind $fault bait" ;; esac
          ;;
      esac
    done
  done | tr ' ' '\n' | paste -d' ' - - -
}

# ---------------------------------------------------------------- helpers for one case

# tag_state REF: the digest REF's tag resolves to, or "absent".
tag_state() {
  local err="$TEST_TMP/tag_state.$BASHPID"
  if skopeo inspect --raw --tls-verify=false --creds "$DST_CREDS" "docker://$1" >"$err.raw" 2>"$err"; then
    sha256_digest <"$err.raw"
  elif grep -qiE 'manifest unknown|not found' "$err"; then
    echo absent
  else
    fail "cannot tell whether $1 exists: $(tail -n 2 "$err")"
  fi
}

# assert_no_secrets_printed LANE FILE...: no secret outside ::add-mask:: lines.
assert_no_secrets_printed() {
  local lane="$1" list="$TEST_TMP/secrets.$BASHPID"
  shift
  {
    printf '%s\n%s\n' "$SRC_PASS" "$DST_PASS"
    cat "$SUITE_TMP/lane$lane/secrets" "$AWS_SERVER_SECRETS"
  } | sort -u >"$list"
  assert_secrets_unprinted "$list" "$@"
}

baseline_count() { jq -r --arg k "$2" '.[$k] // 0' "$SUITE_TMP/baseline-$1.json"; }

# mirror_args LANE MODE REPO RETRY_TIME: the ecr-mirror arguments for a case.
mirror_args() {
  local lane="$1" mode="$2" repo="$3" retry="$4" src dst
  local src_var="L${lane}SRC_ADDR" dst_var="L${lane}DST_ADDR"
  src="${!src_var}"
  dst="${!dst_var}"
  ARGS=(--source "$src/library/app:1.0" --insecure-registries "$src,$dst"
    --source-username "$SRC_USER" --source-password "$SRC_PASS"
    --concurrency 2 --stall-timeout 2 --connect-timeout 5 --retry-time "$retry")
  if [[ "$mode" == aws ]]; then
    ARGS+=(--destination "$dst/ecrm-test/$repo" --destination-type ecr-public
      --role-to-assume "$ROLE_ARN" --create-repository)
  else
    ARGS+=(--destination "$dst/$repo" --destination-username "$DST_USER" --destination-password "$DST_PASS")
  fi
}

# Sends AWS calls of this (sub)shell through the lane's AWS proxy.
use_lane_aws() {
  local aws_var="L${1}AWS_ADDR"
  local aws="${!aws_var}"
  export AWS_ENDPOINT_URL_STS="http://$aws" AWS_ENDPOINT_URL_ECR_PUBLIC="http://$aws" AWS_ENDPOINT_URL_ECR="http://$aws"
  export ACTIONS_ID_TOKEN_REQUEST_URL="http://$aws/oidc/token?api-version=2.0"
}

# run_case LANE INDEX KIND FAULT VARIANT (in a subshell: fail() ends only this case).
run_case() {
  local lane="$1" index="$2" kind="$3" fault="$4" variant="$5"
  local dir="$SUITE_TMP/lane$lane" mode=registry side occurrences retry=20
  is_aws_kind "$kind" && mode=aws
  side="$(side_of "$kind")"
  case "$variant" in
    once | integrity) occurrences='[1]' ;;
    twice) occurrences='[1, 2]' ;;
    always | redirect | bait | unknown) occurrences='"all"' ;;
  esac
  [[ "$variant" == always ]] && retry=3
  # Helpers write under TEST_TMP (assert_same_image's compare dir, run_ecrm's files): one per lane.
  TEST_TMP="$dir/work"
  mkdir -p "$TEST_TMP"
  local repo="fm/${kind}-${fault}-${variant}"
  local dst_repo="$repo"
  [[ "$mode" == aws ]] && dst_repo="ecrm-test/$repo"
  # A tag that must not move: pre-seeded with the old image before a failing case.
  if [[ "$variant" == always || "$variant" == integrity || "$variant" == bait ]]; then
    skopeo copy --quiet --all --src-tls-verify=false --dest-tls-verify=false \
      --src-creds "$SRC_CREDS" --dest-creds "$DST_CREDS" \
      "docker://$SRC_ADDR/library/app:old" "docker://$DST_ADDR/$dst_repo:1.0" >"$dir/preseed.log" 2>&1 ||
      fail "pre-seeding $dst_repo:1.0 failed: $(tail -n 3 "$dir/preseed.log")"
  fi
  # The PATCH path runs only where a registry refuses the monolithic PUT (ecr-mirror uploads a
  # blob as POST + PUT with the body): its cases run against such a registry.
  local fallback=false
  [[ "$kind" == upload-patch ]] && fallback=true
  fault_rules "$dir" "$(jq -n --arg case "$index-$kind-$fault-$variant" --arg kind "$kind" \
    --arg fault "$fault" --arg side "$side" --argjson occ "$occurrences" --argjson fallback "$fallback" \
    '{case: $case, rules: ([{kind: $kind, fault: $fault, occurrences: $occ, seconds: 30}
       + (if $side == "" then {} else {label: $side} end)]
       + (if $fallback then [{kind: "upload-put", fault: "refuse-monolithic", occurrences: "all", label: "dst"}] else [] end))}')"
  local mark
  mark="$(fault_log_mark "$dir")"
  mirror_args "$lane" "$mode" "$repo" "$retry"
  use_lane_aws "$lane"
  # Half the registry cases and every AWS case run as under Actions (::add-mask::, ::error).
  if [[ "$mode" == aws ]] || ((index % 2 == 0)); then export GITHUB_ACTIONS=true; else unset GITHUB_ACTIONS; fi
  local started=$SECONDS
  ECRM_RUN_TIMEOUT=90 run_mirror "case-$index" "${ARGS[@]}"
  local took=$((SECONDS - started))
  fault_rules "$dir" "{\"case\": \"idle-$index\", \"rules\": []}"
  echo "$took" >"$RESULTS/$kind.$fault.$variant.seconds"
  assert_no_secrets_printed "$lane" "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"

  local faulted total baseline
  faulted="$(fault_log_count "$dir" "$mark" "$kind" '.fault != null')"
  total="$(fault_log_count "$dir" "$mark" "$kind")"
  baseline="$(baseline_count "$([[ "$fallback" == true ]] && echo patch || echo "$mode")" "$kind")"
  ((faulted >= 1)) || fail "no $kind request was faulted: the case did not exercise the fault"
  case "$variant" in
    once | twice)
      local n=1
      [[ "$variant" == twice ]] && n=2
      assert_rc 0 "$kind × $fault ($variant)"
      ((faulted >= n && faulted <= n * $(sides_of "$kind"))) ||
        fail "$faulted $kind requests faulted, expected $n per proxy"
      ((total <= baseline + faulted + 2)) ||
        fail "retries unbounded: $total $kind requests (a clean run sends $baseline, $faulted were faulted)"
      assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/$dst_repo:1.0" "$SRC_CREDS" "$DST_CREDS"
      assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/$dst_repo:1.0-$SHORT" "$SRC_CREDS" "$DST_CREDS"
      ;;
    unknown)
      assert_rc 0 "$kind × $fault (the blob's presence is unknown: uploaded)"
      assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/$dst_repo:1.0" "$SRC_CREDS" "$DST_CREDS"
      # 2 workers, each HEAD renewed once, then no more HEADs for the rest of the run.
      ((total <= 4)) || fail "$total blob HEADs: they went on after the registry showed they say nothing"
      (($(fault_log_count "$dir" "$mark" upload-put '.status == 201') >= $(baseline_count registry upload-put))) ||
        fail "fewer blob commits than a clean run: a blob of unknown presence was not uploaded"
      ;;
    redirect)
      assert_rc 0 "$kind × $fault"
      local followed with_auth
      followed="$(fault_log_count "$dir" "$mark" redirect-target)"
      with_auth="$(fault_log_count "$dir" "$mark" redirect-target '.auth')"
      assert_eq "$faulted" "$followed" "redirects followed to 127.0.0.2 (one per redirect)"
      assert_eq 0 "$with_auth" "requests to 127.0.0.2 carrying an Authorization header"
      # The check means something only if the registry itself was sent credentials (the very first
      # request may go without: the client learns the auth scheme from its 401).
      (($(fault_log_count "$dir" "$mark" "$kind" '.fault != null and .auth') >= 1)) ||
        fail "no redirected $kind request carried Authorization to the registry: the check proves nothing"
      assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/$dst_repo:1.0" "$SRC_CREDS" "$DST_CREDS"
      ;;
    bait)
      assert_rc 1 "$kind × $fault"
      local baited
      baited="$(fault_log_count "$dir" "$mark" redirect-target '.auth')"
      ((baited == 0)) || fail "$baited requests to 127.0.0.2 carried credentials: $(tail -n "+$((mark + 1))" \
        "$dir/requests.jsonl" | jq -r 'select(.kind == "redirect-target" and .auth) | .method + " " + .path' | head -n 3)"
      [[ "$(error_text)" == *"fix: "* ]] || fail "the error gives no fix: $(error_text)"
      assert_eq "$OLD_DIGEST" "$(tag_state "$DST_ADDR/$dst_repo:1.0")" "$dst_repo:1.0 after the failure"
      assert_eq absent "$(tag_state "$DST_ADDR/$dst_repo:1.0-$SHORT")" "$dst_repo:1.0-$SHORT after the failure"
      ;;
    always | integrity)
      assert_rc 1 "$kind × $fault ($variant)"
      local text
      text="$(error_text)"
      [[ -n "$text" ]] || fail "ecr-mirror exited 1 without an error message"
      [[ "$text" =~ $(request_pattern "$kind") ]] || fail "the error does not name the $kind request: $text"
      [[ "$text" =~ $(failure_pattern "$fault" "$kind") ]] || fail "the error does not say what failed ($fault): $text"
      [[ "$text" == *"fix: "* ]] || fail "the error gives no fix: $text"
      # Bound: 2 blobs in flight × 2 nested retry loops (the transport's, then the copier's restart
      # of the blob, each with its own --retry-time) × 6 attempts per loop.
      ((total <= baseline + 24)) || fail "retries unbounded: $total $kind requests (a clean run sends $baseline)"
      ((took <= 40)) || fail "giving up took $took s"
      [[ "$variant" == integrity ]] && assert_eq 1 "$faulted" "corrupted $kind responses"
      assert_eq "$OLD_DIGEST" "$(tag_state "$DST_ADDR/$dst_repo:1.0")" "$dst_repo:1.0 after the failure"
      assert_eq absent "$(tag_state "$DST_ADDR/$dst_repo:1.0-$SHORT")" "$dst_repo:1.0-$SHORT after the failure"
      ;;
  esac
  exit 0
}

# ---------------------------------------------------------------- baseline: no faults

RESULTS="$TEST_TMP/results"
mkdir -p "$RESULTS"
# run_baseline MODE: registry, aws, or patch (a registry that refuses monolithic uploads).
run_baseline() {
  local mode="$1" dir="$SUITE_TMP/lane1" mark
  mark="$(fault_log_mark "$dir")"
  if [[ "$mode" == patch ]]; then
    fault_rules "$dir" '{"case": "baseline-patch", "rules": [{"kind": "upload-put", "fault": "refuse-monolithic", "occurrences": "all", "label": "dst"}]}'
  fi
  mirror_args 1 "$([[ "$mode" == patch ]] && echo registry || echo "$mode")" "fm/baseline-$mode" 20
  (
    use_lane_aws 1
    run_mirror "baseline-$mode" "${ARGS[@]}"
    assert_rc 0 "clean run through the proxies ($mode)"
    assert_no_secrets_printed 1 "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
  ) || exit 1
  fault_rules "$dir" '{"case": "idle-baseline", "rules": []}'
  local dst_repo="fm/baseline-$mode"
  [[ "$mode" == aws ]] && dst_repo="ecrm-test/$dst_repo"
  assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/$dst_repo:1.0" "$SRC_CREDS" "$DST_CREDS"
  tail -n "+$((mark + 1))" "$dir/requests.jsonl" |
    jq -s 'map(select(.fault == null or .fault == "refuse-monolithic")) | group_by(.kind) | map({(.[0].kind): length}) | add' \
      >"$SUITE_TMP/baseline-$mode.json"
  local bad
  bad="$(tail -n "+$((mark + 1))" "$dir/requests.jsonl" | jq -c 'select((.fault != null and .fault != "refuse-monolithic") or .status == null)' | head -n 3)"
  [[ -z "$bad" ]] || fail "the clean run saw faults or broken exchanges: $bad"
  log "baseline ($mode): $(jq -c . "$SUITE_TMP/baseline-$mode.json")"
}
run_baseline registry
run_baseline aws
run_baseline patch
(($(baseline_count patch upload-patch) > 0)) ||
  fail "a registry that refuses monolithic uploads got no PATCH: the fallback does not work"
(($(baseline_count registry upload-patch) == 0)) ||
  fail "a clean registry run sent PATCH requests: uploads should be monolithic (POST + PUT)"
# ecr-mirror may skip the GET /v2/ ping (learning the auth scheme from its first 401 instead);
# every other kind must be there, or the proxy misclassifies.
UNSENT=()
for kind in "${KINDS[@]}"; do
  mode=registry
  is_aws_kind "$kind" && mode=aws
  [[ "$kind" == upload-patch ]] && mode=patch
  (($(baseline_count "$mode" "$kind") > 0)) && continue
  [[ "$kind" == ping ]] || fail "a clean $mode run sends no $kind request: the proxy misclassifies"
  UNSENT+=("$kind")
  log "a clean run sends no $kind request: its row is n/a"
done

# ---------------------------------------------------------------- the matrix

unsent_re="$(IFS='|'; echo "${UNSENT[*]}")"
mapfile -t CASES < <(plan | grep -E -- "${ECRM_MATRIX_ONLY:-.}" | grep -vE "^(${unsent_re:-no such kind}) " || true)
((${#CASES[@]} > 0)) || fail "ECRM_MATRIX_ONLY='${ECRM_MATRIX_ONLY:-}' selects no case"
log "${#CASES[@]} cases in $LANES lanes"

run_lane() {
  local lane="$1" index kind fault variant
  for ((index = lane - 1; index < ${#CASES[@]}; index += LANES)); do
    read -r kind fault variant <<<"${CASES[$index]}"
    if [[ "$fault" == redirect-* && "$REDIRECT_OK" != 1 ]]; then
      echo "SKIP 127.0.0.2 is not bindable here" >"$RESULTS/$kind.$fault.$variant.result"
      continue
    fi
    # In the background and waited for: errexit is ignored inside an `if` or `||` condition.
    (run_case "$lane" "$index" "$kind" "$fault" "$variant") >"$RESULTS/$kind.$fault.$variant.log" 2>&1 &
    if wait $!; then
      echo PASS >"$RESULTS/$kind.$fault.$variant.result"
    else
      { printf 'FAIL '; grep -m1 '^FAIL' "$RESULTS/$kind.$fault.$variant.log" || echo "(no message)"; } \
        >"$RESULTS/$kind.$fault.$variant.result"
    fi
  done
}

lane_pids=()
for ((lane = 1; lane <= LANES; lane++)); do
  run_lane "$lane" &
  lane_pids+=($!)
done
for pid in "${lane_pids[@]}"; do wait "$pid"; done

# ---------------------------------------------------------------- report

short_fault() {
  case "$1" in
    reset-before-response) echo rst-pre ;;
    reset-mid-body) echo rst-mid ;;
    401-fresh-challenge) echo 401 ;;
    truncated-body) echo truncate ;;
    corrupt-bytes) echo corrupt ;;
    redirect-other-host) echo redirect ;;
    redirect-challenge) echo redir-401 ;;
    *) echo "$1" ;;
  esac
}

table="$TEST_TMP/matrix.txt"
{
  printf '%-14s' "kind"
  for fault in "${FAULTS[@]}"; do printf ' %-8s' "$(short_fault "$fault")"; done
  printf '\n'
  for kind in "${KINDS[@]}"; do
    printf '%-14s' "$kind"
    for fault in "${FAULTS[@]}"; do
      cell=n/a
      for result in "$RESULTS/$kind.$fault".*.result; do
        [[ -f "$result" ]] || continue
        case "$(cut -d' ' -f1 "$result")" in
          FAIL) cell=FAIL ;;
          SKIP) [[ "$cell" == FAIL ]] || cell=SKIP ;;
          PASS) [[ "$cell" == n/a ]] && cell=PASS ;;
        esac
      done
      printf ' %-8s' "$cell"
    done
    printf '\n'
  done
  printf '\nvariants: once = 1st occurrence, twice = 1st and 2nd, always = every occurrence (exit 1), '
  printf 'integrity = corrupted once (exit 1), unknown = every one, and the run goes on without it (exit 0), redirect = every one to 127.0.0.2, '
  printf 'bait = every one to 127.0.0.2 answering 401 with its own realm (exit 1, no credentials there)\n'
  ((${#UNSENT[@]} == 0)) || printf 'not sent by ecr-mirror (no cases): %s\n' "${UNSENT[*]}"
  for result in "$RESULTS"/*.result; do
    name="${result##*/}"
    name="${name%.result}"
    printf '%-48s %3ss  %s\n' "$name" "$(cat "$RESULTS/$name.seconds" 2>/dev/null || echo -)" "$(cat "$result")"
  done
} >"$table"
printf '\n[%s] fault matrix (%s cases, %s s):\n' "$SUITE" "${#CASES[@]}" "$((SECONDS - SUITE_STARTED))" >&2
cat "$table" >&2
if [[ -n "${ECRM_MATRIX_OUT:-}" ]]; then cp "$table" "$ECRM_MATRIX_OUT"; fi
failed=()
for result in "$RESULTS"/*.result; do
  grep -q '^FAIL' "$result" || continue
  name="${result##*/}"
  name="${name%.result}"
  failed+=("$name")
  printf -- '--- %s ---\n' "$name" >&2
  tail -n 25 "$RESULTS/$name.log" >&2
done
((${#failed[@]} == 0)) || fail "${#failed[@]} of ${#CASES[@]} cases failed: ${failed[*]}"
pass
