#!/usr/bin/env bash
# Connect and stalled-transfer timeouts (issue 5): nothing hangs forever. A registry that never
# completes the TCP handshake (tests/lib/blackhole.py) must fail within --connect-timeout (times
# the retries the budget allows); a transfer that stops sending must fail within --stall-timeout.
# Each failure exits 1, names the registry or request, and hints at the option to raise. The
# defaults are sane (30 s connect, 60 s stall, 1 h overall) and printed by --help.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/STALLER_*/DSTREC_* are exported by the helpers
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
# shellcheck source-path=SCRIPTDIR/../lib source=fault_proxy.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/fault_proxy.sh"
suite_init timeouts
require_tools docker-registry skopeo jq curl
require_ecrm_bin
unset GITHUB_ACTIONS

# The defaults, as --help states them.
run_ecrm help --help
assert_rc 0 "--help"
help_text="$(cat "$RUN_STDOUT")"
for expected in 'connect-timeout' 'stall-timeout' 'timeout' 'retry-time'; do
  assert_contains "$help_text" "--$expected" "--help"
done
grep -E -- '--connect-timeout.*30' "$RUN_STDOUT" >/dev/null || fail "--help does not give --connect-timeout's default of 30 s"
grep -E -- '--stall-timeout.*60' "$RUN_STDOUT" >/dev/null || fail "--help does not give --stall-timeout's default of 60 s"
grep -E -- '--timeout .*3600' "$RUN_STDOUT" >/dev/null || fail "--help does not give --timeout's default of 3600 s"

registry_start SRC basic
registry_start DST token
fault_proxy_start STALLER "$SRC_ADDR"
# Only records the destination's tokens passing, for the secret-leak checks.
fault_proxy_start DSTREC "$DST_ADDR" --token-upstream "$DST_TOKEN_ADDR"
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 262144 --seed 71 --tag 3.0
seed_image "$TEST_TMP/img" SRC library/app:3.0
# A password that is never valid anywhere: only there to prove it is not printed on error paths.
BOGUS_PASS="pw-unused-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

assert_no_secrets() {
  local list="$TEST_TMP/secrets.list"
  { printf '%s\n' "$SRC_PASS" "$DST_PASS" "$BOGUS_PASS"; cat "$STALLER_FAULT_DIR/secrets" "$DSTREC_FAULT_DIR/secrets"; } |
    sort -u >"$list"
  assert_secrets_unprinted "$list" "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"
}

# timed_mirror LABEL ARGS...: run_mirror, and RUN_MS its wall time.
timed_mirror() {
  local started
  started="$(date +%s%N)"
  run_mirror "$@"
  RUN_MS=$((($(date +%s%N) - started) / 1000000))
  log "$1 took $RUN_MS ms"
}

assert_tag_absent() {
  local out="$TEST_TMP/tag_state"
  if skopeo inspect --raw --tls-verify=false --creds "$DST_CREDS" "docker://$1" >/dev/null 2>"$out.err"; then
    fail "$1 exists after a failed run"
  fi
  grep -qiE 'manifest unknown|not found' "$out.err" || fail "cannot tell whether $1 exists: $(tail -n 2 "$out.err")"
}

# ---------------------------------------------------------------- connect timeout

start_bg "$TEST_TMP/blackhole" "$PY" "$ECRM_LIB_DIR/blackhole.py" --ready-file "$TEST_TMP/blackhole.json" \
  --max-seconds "$ECRM_SERVER_LIFETIME"
wait_until 10 test -s "$TEST_TMP/blackhole.json" || fail "blackhole.py did not start: $(cat "$TEST_TMP/blackhole.err")"
HOLE="127.0.0.1:$(jq -r .port "$TEST_TMP/blackhole.json")"
# The premise: connecting there times out (a refusal would test something else).
probe_rc=0
curl -s -o /dev/null --connect-timeout 1 "http://$HOLE/v2/" || probe_rc=$?
[[ $probe_rc == 28 ]] || skip "connecting to a full accept queue on $HOLE does not time out here (curl exit $probe_rc)"

for actions in false true; do
  [[ "$actions" == true ]] && export GITHUB_ACTIONS=true
  # No retry budget: one connect attempt of 2 s.
  timed_mirror "connect-$actions" --source "$HOLE/library/app:3.0" --destination "$DST_ADDR/mirror/connect" \
    --insecure-registries "$HOLE,$DST_ADDR" --source-username someone --source-password "$BOGUS_PASS" \
    --destination-username "$DST_USER" --destination-password "$DST_PASS" --connect-timeout 2 --retry-time 0
  assert_rc 1 "a source that never accepts the connection"
  ((RUN_MS >= 1800 && RUN_MS <= 5000)) || fail "a 2 s connect timeout ended the run after $RUN_MS ms"
  text="$(error_text)"
  assert_contains "$text" "$HOLE" "error for a connect timeout"
  [[ "$text" =~ [Tt]imeout|timed\ out ]] || fail "the error does not say the connection timed out: $text"
  assert_contains "$text" "fix: " "error for a connect timeout"
  assert_contains "$text" "--connect-timeout" "the fix for a connect timeout"
  assert_no_secrets
  unset GITHUB_ACTIONS
done
assert_tag_absent "$DST_ADDR/mirror/connect:3.0"

# With a retry budget the attempts are bounded by it: 2 s connects within a 5 s budget.
timed_mirror connect-retries --source "$HOLE/library/app:3.0" --destination "$DST_ADDR/mirror/connect" \
  --insecure-registries "$HOLE,$DST_ADDR" --destination-username "$DST_USER" --destination-password "$DST_PASS" \
  --connect-timeout 2 --retry-time 5
assert_rc 1 "a source that never accepts the connection, with retries"
((RUN_MS >= 3800 && RUN_MS <= 10000)) || fail "2 s connects within a 5 s retry budget ended the run after $RUN_MS ms"
assert_contains "$(error_text)" "attempts" "error after retried connect timeouts"
assert_no_secrets

# ---------------------------------------------------------------- stalled transfers

src_args=(--insecure-registries "$STALLER_ADDR,$DSTREC_ADDR" --source-username "$SRC_USER"
  --source-password "$SRC_PASS" --destination-username "$DST_USER" --destination-password "$DST_PASS")

# A response that never starts: the source's manifest HEAD gets no answer at all.
fault_rules "$STALLER_FAULT_DIR" '{"case": "head", "rules": [{"kind": "manifest-head", "fault": "stall", "seconds": 60, "occurrences": "all"}]}'
timed_mirror stall-head --source "$STALLER_ADDR/library/app:3.0" --destination "$DSTREC_ADDR/mirror/stall" \
  "${src_args[@]}" --stall-timeout 2 --retry-time 0
assert_rc 1 "a source that never answers"
((RUN_MS >= 1800 && RUN_MS <= 6000)) || fail "a 2 s stall timeout on an unanswered HEAD ended the run after $RUN_MS ms"
text="$(error_text)"
assert_contains "$text" "HEAD manifest" "error for an unanswered HEAD"
[[ "$text" =~ too\ slow|timed\ out|stalled ]] || fail "the error does not say the transfer stalled: $text"
assert_contains "$text" "--stall-timeout" "the fix for a stalled transfer"
assert_no_secrets

# A download that stops in the middle of a blob, under Actions.
export GITHUB_ACTIONS=true
fault_rules "$STALLER_FAULT_DIR" '{"case": "blob", "rules": [{"kind": "blob-get", "fault": "stall", "seconds": 60, "occurrences": "all"}]}'
timed_mirror stall-blob --source "$STALLER_ADDR/library/app:3.0" --destination "$DSTREC_ADDR/mirror/stall" \
  "${src_args[@]}" --stall-timeout 2 --retry-time 0
assert_rc 1 "a blob download that stalls"
# libcurl judges "under 1 byte/s for N s" on a speed averaged over the last ~5 s, so a stall
# after some bytes is seen a few seconds after N.
((RUN_MS >= 1800 && RUN_MS <= 12000)) || fail "a 2 s stall timeout on a stalled blob ended the run after $RUN_MS ms"
text="$(error_text)"
[[ "$text" =~ too\ slow|timed\ out|stalled ]] || fail "the error does not say the transfer stalled: $text"
assert_contains "$text" "--stall-timeout" "the fix for a stalled transfer"
assert_no_secrets
unset GITHUB_ACTIONS
fault_rules "$STALLER_FAULT_DIR" '{"case": "none", "rules": []}'
assert_tag_absent "$DST_ADDR/mirror/stall:3.0"
assert_contains "$text" "GET blob" "error for a stalled blob download"

# The same copy with nothing stalling succeeds (the proxy itself is not the problem).
run_mirror clean --source "$STALLER_ADDR/library/app:3.0" --destination "$DSTREC_ADDR/mirror/stall" \
  "${src_args[@]}" --stall-timeout 2
assert_rc 0 "the copy once nothing stalls"
assert_same_image "$SRC_ADDR/library/app:3.0" "$DST_ADDR/mirror/stall:3.0" "$SRC_CREDS" "$DST_CREDS"
assert_no_secrets

pass
