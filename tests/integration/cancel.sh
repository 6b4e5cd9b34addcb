#!/usr/bin/env bash
# Cancellation and the overall deadline (issue 5). The runner cancels a job with SIGTERM (SIGINT
# from a terminal): ecr-mirror must stop within about 3 s, say so, exit 1 and move no tag; a re-run
# must reuse the blobs already uploaded. --timeout must end a run that would otherwise wait on a
# stalled registry or a long retry budget.
# The source is reached through tests/lib/fault_proxy.py, which throttles every blob download so
# the copy is reliably mid-flight when the signal arrives; the destination (token auth) through a
# proxy that only records the tokens passing, for the secret-leak checks.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/SLOW_*/DSTREC_* are exported by the helpers
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
# shellcheck source-path=SCRIPTDIR/../lib source=fault_proxy.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/fault_proxy.sh"
suite_init cancel
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST token
fault_proxy_start SLOW "$SRC_ADDR"
fault_proxy_start DSTREC "$DST_ADDR" --token-upstream "$DST_TOKEN_ADDR"
# 2 platforms × 4 layers × 1 MiB: at 512 KiB/s per download a copy takes about 10 s.
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 4 --layer-size 1048576 --seed 61 --tag 2.0
seed_image "$TEST_TMP/img" SRC library/big:2.0
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"
total_blobs="$(summary "$TEST_TMP/img" '.blobs | length')"

throttle='{"case": "throttle", "rules": [{"kind": "blob-get", "fault": "throttle", "rate": 524288, "occurrences": "all"}]}'
no_faults='{"case": "none", "rules": []}'

assert_no_secrets() {
  local list="$TEST_TMP/secrets.list"
  { printf '%s\n' "$DST_PASS"; cat "$DSTREC_FAULT_DIR/secrets"; } | sort -u >"$list"
  assert_secrets_unprinted "$list" "$@"
}

# tag_state REF: the digest REF's tag resolves to, or "absent".
tag_state() {
  local out="$TEST_TMP/tag_state"
  if skopeo inspect --raw --tls-verify=false --creds "$DST_CREDS" "docker://$1" >"$out.raw" 2>"$out.err"; then
    sha256_digest <"$out.raw"
  elif grep -qiE 'manifest unknown|not found' "$out.err"; then
    echo absent
  else
    fail "cannot tell whether $1 exists: $(tail -n 2 "$out.err")"
  fi
}

# start_ecrm LABEL ARGS...: ecr-mirror in the background as its own process group (so a signal
# reaches it and nothing else); sets ECRM_PID, RUN_STDOUT, RUN_STDERR.
ECRM_PID=""
START_NS=0
start_ecrm() {
  local label="$1"
  shift
  RUN_STDOUT="$TEST_TMP/$label.stdout"
  RUN_STDERR="$TEST_TMP/$label.stderr"
  RUN_OUT="$TEST_TMP/$label.outputs"
  : >"$RUN_OUT"
  log "start $label: ecr-mirror $*"
  # No job control here: the background child is not a group leader, so setsid execs in place and
  # $! is ecr-mirror's own pid.
  HOME="$TEST_TMP/home" setsid "$ECRM_BIN" "$@" --output-file "$RUN_OUT" \
    >"$RUN_STDOUT" 2>"$RUN_STDERR" </dev/null &
  ECRM_PID=$!
  START_NS="$(date +%s%N)"
  track_pgid "$ECRM_PID"
}

# finish_ecrm SECONDS: waits for ECRM_PID to exit (failing after SECONDS); sets RUN_RC,
# ELAPSED_MS (since finish_ecrm was called: after a signal, how long stopping took) and TOTAL_MS
# (since start_ecrm).
finish_ecrm() {
  local limit="$1" called
  called="$(date +%s%N)"
  wait_until "$limit" gone_or_zombie || fail "ecr-mirror (pid $ECRM_PID) still running ${limit} s later"
  local ended
  ended="$(date +%s%N)"
  RUN_RC=0
  wait "$ECRM_PID" || RUN_RC=$?
  ELAPSED_MS=$(((ended - called) / 1000000))
  TOTAL_MS=$(((ended - START_NS) / 1000000))
  log "ecr-mirror exited $RUN_RC, $ELAPSED_MS ms after the wait began, $TOTAL_MS ms after it started"
}
# kill -0 still succeeds for a zombie: look at the process state instead.
gone_or_zombie() {
  local state
  state="$(ps -o stat= -p "$ECRM_PID" 2>/dev/null || true)"
  [[ -z "$state" || "$state" == Z* ]]
}

# committed REPO: blob uploads the destination registry has finished for REPO since its mark.
committed() { count_requests DST PUT "/v2/$1/blobs/uploads/.*" 201; }

# cancel_mid_copy SIGNAL REPO: start a throttled copy into REPO, send SIGNAL mid-copy, check the
# stop; then a re-run without the throttle completes and skips what was uploaded.
cancel_mid_copy() {
  local signal="$1" repo="$2"
  fault_rules "$SLOW_FAULT_DIR" "$throttle"
  registry_mark DST
  local args=(--source "$SLOW_ADDR/library/big:2.0" --destination "$DSTREC_ADDR/$repo"
    --insecure-registries "$SLOW_ADDR,$DSTREC_ADDR,$SRC_ADDR"
    --destination-username "$DST_USER" --destination-password "$DST_PASS" --concurrency 2)
  start_ecrm "cancel-$signal" "${args[@]}"
  # shellcheck disable=SC2317 # called through wait_until
  mid_copy() { (($(committed "$repo") >= 3)) || gone_or_zombie; }
  wait_until 60 mid_copy || fail "no blob was uploaded within 60 s"
  gone_or_zombie && fail "ecr-mirror finished before it could be cancelled (exit: see $RUN_STDERR)"
  local before
  before="$(committed "$repo")"
  ((before < total_blobs)) || fail "all $total_blobs blobs were uploaded before the signal: the copy was not mid-flight"
  log "sending SIG$signal with $before of $total_blobs blobs uploaded"
  kill -s "$signal" "$ECRM_PID"
  finish_ecrm 10
  assert_rc 1 "ecr-mirror cancelled by SIG$signal"
  ((ELAPSED_MS <= 3000)) || fail "ecr-mirror took $ELAPSED_MS ms to stop after SIG$signal (at most 3000 expected)"
  local printed
  printed="$(cat "$RUN_STDOUT" "$RUN_STDERR")"
  assert_contains "$printed" "cancelled" "output after SIG$signal"
  assert_contains "$printed" "no tag was moved" "output after SIG$signal"
  assert_not_contains "$printed" "tagged " "output after SIG$signal"
  assert_no_secrets "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
  assert_eq absent "$(tag_state "$DST_ADDR/$repo:2.0")" "$repo:2.0 after SIG$signal"
  assert_eq absent "$(tag_state "$DST_ADDR/$repo:2.0-$short")" "$repo:2.0-$short after SIG$signal"
  assert_requests DST PUT "/v2/$repo/manifests/.*" 0

  # The re-run (source direct, no throttle) reuses what the cancelled run committed.
  local present
  present="$(committed "$repo")"
  fault_rules "$SLOW_FAULT_DIR" "$no_faults"
  registry_mark DST
  args=(--source "$SRC_ADDR/library/big:2.0" --destination "$DSTREC_ADDR/$repo"
    --insecure-registries "$SRC_ADDR,$DSTREC_ADDR"
    --destination-username "$DST_USER" --destination-password "$DST_PASS" --concurrency 2)
  run_mirror "rerun-$signal" "${args[@]}"
  assert_rc 0 "re-run after SIG$signal"
  assert_no_secrets "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
  assert_same_image "$SRC_ADDR/library/big:2.0" "$DST_ADDR/$repo:2.0" "" "$DST_CREDS"
  assert_same_image "$SRC_ADDR/library/big:2.0" "$DST_ADDR/$repo:2.0-$short" "" "$DST_CREDS"
  local posts
  posts="$(count_requests DST POST "/v2/$repo/blobs/uploads/")"
  ((posts < total_blobs)) || fail "the re-run started $posts uploads for $total_blobs blobs: nothing was reused"
  assert_eq "$((total_blobs - present))" "$posts" "uploads started by the re-run ($present of $total_blobs blobs were already there)"
  assert_requests DST HEAD "/v2/$repo/blobs/sha256:[0-9a-f]{64}" "$present" 200
  log "SIG$signal: stopped in $ELAPSED_MS ms; the re-run uploaded $posts blobs and reused $present"
}

unset GITHUB_ACTIONS
cancel_mid_copy TERM mirror/term
# As under Actions: the cancellation line is a ::error command on stdout.
export GITHUB_ACTIONS=true
cancel_mid_copy INT mirror/int

# --timeout: a download that stalls for longer than the deadline (and than --stall-timeout).
fault_rules "$SLOW_FAULT_DIR" '{"case": "stall", "rules": [{"kind": "blob-get", "fault": "stall", "seconds": 60, "occurrences": "all"}]}'
start_ecrm deadline-stall --source "$SLOW_ADDR/library/big:2.0" --destination "$DSTREC_ADDR/mirror/deadline" \
  --insecure-registries "$SLOW_ADDR,$DSTREC_ADDR" --destination-username "$DST_USER" \
  --destination-password "$DST_PASS" --timeout 3 --stall-timeout 60
finish_ecrm 15
assert_rc 1 "a run past its --timeout"
((TOTAL_MS <= 6000)) || fail "a run with --timeout 3 took $TOTAL_MS ms"
printed="$(cat "$RUN_STDOUT" "$RUN_STDERR")"
assert_contains "$printed" "deadline of 3 s" "output of a run past its --timeout"
assert_contains "$printed" "--timeout" "the fix for a run past its --timeout"
assert_contains "$printed" "no tag was moved" "output of a run past its --timeout"
assert_no_secrets "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
assert_eq absent "$(tag_state "$DST_ADDR/mirror/deadline:2.0")" "mirror/deadline:2.0 after the deadline"
unset GITHUB_ACTIONS

# --timeout while backing off: every manifest PUT fails with 503 and the retry budget is long.
fault_rules "$SLOW_FAULT_DIR" "$no_faults"
fault_rules "$DSTREC_FAULT_DIR" '{"case": "503", "rules": [{"kind": "manifest-put", "fault": "503", "occurrences": "all"}]}'
start_ecrm deadline-retry --source "$SRC_ADDR/library/big:2.0" --destination "$DSTREC_ADDR/mirror/deadline-retry" \
  --insecure-registries "$SRC_ADDR,$DSTREC_ADDR" --destination-username "$DST_USER" \
  --destination-password "$DST_PASS" --timeout 3 --retry-time 600
finish_ecrm 15
fault_rules "$DSTREC_FAULT_DIR" "$no_faults"
assert_rc 1 "a run retrying past its --timeout"
((TOTAL_MS <= 6000)) || fail "a run with --timeout 3 and --retry-time 600 took $TOTAL_MS ms"
printed="$(cat "$RUN_STDOUT" "$RUN_STDERR")"
assert_contains "$printed" "deadline of 3 s" "output of a run retrying past its --timeout"
assert_no_secrets "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
assert_eq absent "$(tag_state "$DST_ADDR/mirror/deadline-retry:2.0")" "mirror/deadline-retry:2.0 after the deadline"

pass
