#!/usr/bin/env bash
# bench/run.sh end to end at a small scale, so `make bench` cannot rot unnoticed: both modes the
# issue's figures come from (wide area over plain HTTP with the private-ECR step, and wide area
# over TLS), one round, layers shrunk 64 times. Checks that every copy was judged ok, that the
# report has its rows, floors and targets, and that the run left nothing behind. Not a speed
# check: the numbers are not compared with anything.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
suite_init bench_smoke
require_tools docker-registry skopeo jq curl openssl /usr/bin/time
require_ecrm_bin
repo_root="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# run_bench NAME [VAR=VALUE...]: one small bench run; its report into $TEST_TMP/NAME.report. Its
# servers live 300 s at most even if the bench itself is killed (they are in their own groups).
run_bench() {
  local name="$1" rc=0
  shift
  env "$@" BENCH_ROUNDS=1 BENCH_SWEEP= BENCH_SHRINK=64 BENCH_C_BYTES=$((2 << 20)) \
    BENCH_REPORT="$TEST_TMP/$name.report" TMPDIR="$TEST_TMP" \
    BENCH_SERVER_LIFETIME=300 BENCH_RUN_TIMEOUT=120 \
    timeout --kill-after=10 240 bash "$repo_root/bench/run.sh" "$ECRM_BIN" \
    >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
  [[ $rc == 0 ]] || fail "bench ($name) exited $rc: $(tail -n 5 "$TEST_TMP/$name.err")"
  [[ -s "$TEST_TMP/$name.report" ]] || fail "bench ($name) wrote no report"
}

# check_report NAME ROUND_TRIPS: what every report must hold.
check_report() {
  local name="$1" trips="$2" report="$TEST_TMP/$1.report" img tool line
  for img in A B C; do
    for tool in ecr-mirror skopeo; do
      line="$(grep -E "^$img .* $tool +1 1 " "$report" || true)"
      [[ -n "$line" ]] || fail "bench ($name): no row with 1 ok run of $tool on image $img"
    done
    grep -qE "^$img: CPU ecr-mirror / skopeo \(medians\) +[0-9.]+ +<= 0.30 +(MET|NOT MET) +floor [0-9.]+$" \
      "$report" || fail "bench ($name): image $img's CPU target line lacks a value or its floor"
    grep -qE "^$img: ecr-mirror peak RSS MiB .* floor [0-9.]+$" "$report" ||
      fail "bench ($name): image $img's RSS target line lacks its floor"
    grep -qE "^$img: unchanged re-run wall .* floor [0-9.]+$" "$report" ||
      fail "bench ($name): image $img's unchanged re-run target lacks its floor"
    grep -qE "^  $img: hashing its [0-9.]+ MiB once takes [0-9.]+ s of CPU" "$report" ||
      fail "bench ($name): no hashing floor for image $img"
  done
  grep -qE '^  SHA-256 here: [0-9]+ MB/s' "$report" || fail "bench ($name): SHA-256 rate not measured"
  grep -qE "^  unchanged re-run: $trips round trips of 10 ms in sequence" "$report" ||
    fail "bench ($name): expected $trips round trips of 10 ms in the no-op floor"
  assert_not_contains "$(cat "$report")" INVALID "bench ($name) report"
  # Its five requests, as the bench counts them from the access logs.
  grep -qE '^A: no-op requests, in the registries.* +5 +<= 5 +MET' "$report" ||
    fail "bench ($name): A's no-op did not make exactly the 5 requests in the access logs"
}

log "wide area over plain HTTP, with the private-ECR path"
run_bench plain BENCH_WAN=5:400
check_report plain 3
grep -A 2 '^first copy into private ECR' "$TEST_TMP/plain.report" | grep -qE '^B +ok ' ||
  fail "bench (plain): the private-ECR copy of B is not reported ok"

log "wide area over TLS"
run_bench tls BENCH_WAN=5:400 BENCH_TLS=1
check_report tls 4
grep -qE '^tls: +HTTPS registries' "$TEST_TMP/tls.report" || fail "bench (tls): report does not say TLS"

# The bench removes its temp dir and stops its servers on exit.
leftover="$(find "$TEST_TMP" -maxdepth 1 -name 'ecrm-bench.*' | head -n 1)"
[[ -z "$leftover" ]] || fail "bench left $leftover behind"
if pgrep -f "docker-registry serve $TEST_TMP/ecrm-bench" >/dev/null ||
  pgrep -f "delay_line.py .*$TEST_TMP/ecrm-bench" >/dev/null; then
  fail "bench left a registry or delay line running"
fi
pass
