#!/usr/bin/env bash
# Registries that lie or misbehave (tests/lib/hostile_registry.py): each run must stop with a
# message naming what was wrong, tag nothing at the destination, and never send credentials or
# image data anywhere the registry does not own. A "good" control proves the harness mirrors.
# shellcheck disable=SC2153,SC2154 # DST_* are exported by registry_start, H_* by hostile_start
# shellcheck disable=SC2317 # the predicates below are called through check
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init hostile_registry
require_tools docker-registry skopeo curl jq
require_ecrm_bin

registry_start DST plain
SRC_USER="hostile-reader"
SRC_PASS="src-pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DST_USER="hostile-writer"
DST_PASS="dst-pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
started_at="$EPOCHREALTIME"

# hostile_start NAME MODE [hostile_registry.py options]: exports NAME_ADDR, NAME_LOG, NAME_DIGEST.
hostile_start() {
  local name="$1" mode="$2"
  shift 2
  local dir="$TEST_TMP/hostile-${name,,}-$mode"
  mkdir -p "$dir"
  rm -f "$dir/ready.json"
  start_bg "$dir/server" "$PY" "$ECRM_LIB_DIR/hostile_registry.py" --mode "$mode" \
    --ready-file "$dir/ready.json" --log "$dir/requests.jsonl" --max-seconds "$ECRM_SERVER_LIFETIME" "$@"
  wait_until 15 test -s "$dir/ready.json" || fail "hostile registry $name ($mode) did not start: $(cat "$dir/server.err")"
  printf -v "${name}_ADDR" '%s' "$(jq -r .addr "$dir/ready.json")"
  printf -v "${name}_LOG" '%s' "$dir/requests.jsonl"
  printf -v "${name}_DIGEST" '%s' "$(jq -r .index_digest "$dir/ready.json")"
  printf -v "${name}_PGID" '%s' "$BG_PGID"
}

# hostile_count LOG JQ_CONDITION: logged requests matching the condition.
hostile_count() {
  jq -s "[.[] | select(.event == \"request\") | select($2)] | length" "$1"
}

hostile_connections() { jq -s '[.[] | select(.event == "connect")] | length' "$1"; }

failures=()
results=()
passed=0
total=0
current=""

# check CONDITION_DESCRIPTION CMD...: records a failure of the current mode when CMD fails.
check() {
  local what="$1"
  shift
  "$@" || failures+=("$current: $what")
}

printed() { cat "$RUN_STDOUT" "$RUN_STDERR"; }
not_grep() { ! grep -qF -- "$1" "$2"; }
# since T0: seconds elapsed since the $EPOCHREALTIME value T0.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
contains() { [[ "$(printed)" == *"$1"* ]]; }
not_contains() { [[ "$(printed)" != *"$1"* ]]; }
rc_is() { [[ "$RUN_RC" == "$1" ]]; }

# Nothing at all reached the destination's manifests with a write, and the repository has no tag.
nothing_tagged() {
  local repo="$1" writes body
  writes="$(count_requests DST PUT "/v2/$repo/manifests/.*")"
  [[ "$writes" == 0 ]] || return 1
  body="$(curl -s --max-time 5 "http://$DST_ADDR/v2/$repo/tags/list")"
  [[ "$(jq -r '(.tags // []) | length' <<<"$body" 2>/dev/null || echo 0)" == 0 ]]
}

# source_case MODE EXPECTED_RC NEEDLE...: mirror from a hostile source in MODE into the real
# destination registry, then assert the exit code, every NEEDLE in the output, no tag written,
# and no secret printed.
source_case() {
  local mode="$1" expected_rc="$2"
  shift 2
  current="$mode"
  total=$((total + 1))
  local before=${#failures[@]}
  hostile_start H "$mode"
  registry_mark DST
  local t0="$EPOCHREALTIME"
  run_mirror "$mode" --source "$H_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/$mode" \
    --insecure-registries "$H_ADDR,$DST_ADDR" --source-username "$SRC_USER" --source-password "$SRC_PASS" \
    --retry-time 2 --connect-timeout 5 --stall-timeout 10 --timeout 60
  local seconds
  seconds="$(since "$t0")"
  check "exit $RUN_RC, expected $expected_rc" rc_is "$expected_rc"
  local needle
  for needle in "$@"; do
    check "message lacks '$needle'" contains "$needle"
  done
  check "the source password was printed" not_contains "$SRC_PASS"
  check "token-too-big's token was printed" not_contains "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT"
  check "a tag was written at the destination" nothing_tagged "mirror/$mode"
  check "outputs were written: $(head -c 200 "$RUN_OUT")" test ! -s "$RUN_OUT"
  stop_pgid "$H_PGID"
  record_result "$mode" "$seconds"
  ((${#failures[@]} == before)) && passed=$((passed + 1))
  return 0
}

record_result() {
  local message
  message="$(cat "$RUN_STDERR" "$RUN_STDOUT" | { grep -m1 -E '^(error|::error)' || true; } | cut -c1-160)"
  results+=("$(printf '%-24s exit %-3s %5.2fs  %s' "$1" "$RUN_RC" "$2" "$message")")
}

# ---------------------------------------------------------------- the control
current=good
total=$((total + 1))
hostile_start H good
registry_mark DST
t0="$EPOCHREALTIME"
run_mirror good --source "$H_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/good" \
  --insecure-registries "$H_ADDR,$DST_ADDR" --retry-time 2
check "the control run failed (exit $RUN_RC): $(tail -n 3 "$RUN_STDERR")" rc_is 0
check "the control did not tag 1.0 with the served index" \
  test "$(ref_digest "$DST_ADDR/mirror/good:1.0" 2>/dev/null)" == "$H_DIGEST"
stop_pgid "$H_PGID"
record_result good "$(since "$t0")"
((${#failures[@]} == 0)) || fail "the control mirror from hostile_registry.py --mode good failed: ${failures[*]}"
passed=$((passed + 1))

# ---------------------------------------------------------------- hostile sources
source_case malformed-json 1 "invalid JSON"
source_case huge-manifest 1 "larger than 4 MiB"
source_case size-lies-index 1 "declares" "bytes but the manifest has"
source_case size-lies-layer-small 1 "sent more than the 2900 bytes"
source_case size-lies-layer-large 1 "bytes received (3000)" "do not match the digest and size"
source_case schema1 1 "schema 1"
source_case wrong-digest 1 "hashes to" "not the digest asked for"
source_case wrong-digest-child 1 "hashes to" "not the digest asked for"
# Content-Type says image manifest, the body (mediaType) says index, and the reverse: the message
# must name both types, not just a field the wrongly chosen parser missed.
oci_index=application/vnd.oci.image.index.v1+json
oci_manifest=application/vnd.oci.image.manifest.v1+json
source_case ctype-lies 1 "$oci_manifest" "$oci_index"
source_case ctype-lies-child 1 "$oci_index" "$oci_manifest"
source_case token-too-big 1 "token request" "exceeds 64.0 KiB"

# ---------------------------------------------------------------- http realm for an https registry
# The realm listener would receive the token request; it must never see the credentials.
current=http-realm
total=$((total + 1))
before=${#failures[@]}
hostile_start REALM record
hostile_start H http-realm --cert-out "$TEST_TMP/hostile-cert.pem" --realm "http://$REALM_ADDR/token"
registry_mark DST
t0="$EPOCHREALTIME"
SSL_CERT_FILE="$TEST_TMP/hostile-cert.pem" run_mirror http-realm \
  --source "$H_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/http-realm" \
  --insecure-registries "$DST_ADDR" --source-username "$SRC_USER" --source-password "$SRC_PASS" \
  --retry-time 2 --connect-timeout 5
check "exit $RUN_RC, expected 1" rc_is 1
check "message lacks the realm URL" contains "http://$REALM_ADDR/token"
check "message does not say it refuses plain HTTP" contains "plain HTTP"
check "the https registry itself was never reached (TLS trust broken?)" \
  test "$(hostile_count "$H_LOG" '.path | startswith("/v2/")')" -ge 1
check "the realm listener received an Authorization header" \
  test "$(hostile_count "$REALM_LOG" '.authorization != ""')" == 0
check "the password reached the realm listener in a request line" not_grep "$SRC_PASS" "$REALM_LOG"
check "the source password was printed" not_contains "$SRC_PASS"
check "a tag was written at the destination" nothing_tagged mirror/http-realm
log "http-realm: the realm listener saw $(hostile_connections "$REALM_LOG") connection(s), $(hostile_count "$REALM_LOG" true) request(s)"
stop_pgid "$H_PGID"
stop_pgid "$REALM_PGID"
record_result http-realm "$(since "$t0")"
((${#failures[@]} == before)) && passed=$((passed + 1))

# ---------------------------------------------------------------- a Location that leaves the host
# As the destination, with Basic credentials: the upload POST answers 202 with a Location on
# another host (127.0.0.2) or another port. Neither the blob nor the Authorization header may go
# there.
registry_start SRC plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 1 --layer-size 4096 --seed 31 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0

# escape_case LABEL LISTEN_HOST STYLE
escape_case() {
  local label="$1" listen_host="$2" style="$3"
  current="$label"
  total=$((total + 1))
  local before=${#failures[@]}
  hostile_start ESCAPE record --host "$listen_host"
  hostile_start H location-escape --escape-to "$ESCAPE_ADDR" --escape-style "$style"
  local t0="$EPOCHREALTIME"
  run_mirror "$label" --source "$SRC_ADDR/library/app:1.0" --destination "$H_ADDR/mirror/app" \
    --insecure-registries "$SRC_ADDR,$H_ADDR" --destination-username "$DST_USER" \
    --destination-password "$DST_PASS" --retry-time 2 --connect-timeout 5
  check "exit $RUN_RC, expected 1" rc_is 1
  check "message does not name the other host $ESCAPE_ADDR" contains "$ESCAPE_ADDR"
  check "message does not say the Location leaves the registry" contains "Location"
  check "the destination was never asked to start an upload" \
    test "$(hostile_count "$H_LOG" '.method == "POST"')" -ge 1
  check "something reached the other host $ESCAPE_ADDR" test "$(hostile_connections "$ESCAPE_LOG")" == 0
  check "a manifest was PUT at the destination" test "$(hostile_count "$H_LOG" '.method == "PUT"')" == 0
  check "the destination password was printed" not_contains "$DST_PASS"
  stop_pgid "$H_PGID"
  stop_pgid "$ESCAPE_PGID"
  record_result "$label" "$(since "$t0")"
  ((${#failures[@]} == before)) && passed=$((passed + 1))
  return 0
}

escape_case location-escape 127.0.0.2 absolute
escape_case location-escape-relative 127.0.0.2 scheme-relative
escape_case location-other-port 127.0.0.1 absolute

printf '%s\n' "hostile registry results (mode, exit, time, first error line):" "${results[@]}" >&2
elapsed="$(since "$started_at")"
printf 'hostile registry: %d modes, %d passed (%.1f s)\n' "$total" "$passed" "$elapsed" >&2
if ((${#failures[@]})); then
  RUN_STDERR=""
  fail "$(printf '%s\n' "${#failures[@]} hostile-registry check(s) failed:" "${failures[@]}")"
fi
pass
