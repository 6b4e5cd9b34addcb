# shellcheck shell=bash
# shellcheck disable=SC2034  # REG_ADDR and the M_* results are read by run.sh
# Helpers for bench/run.sh: temp dir and cleanup, local registries, timed runs, statistics.
# Kept apart from tests/lib on purpose: the test registries log at info and every helper there
# fails a suite, while the bench wants quiet registries and keeps going to print what it has.

BENCH_TMP=""
BENCH_PGIDS=()
# Seconds a registry may live at most, even if the bench dies without cleaning up.
BENCH_SERVER_LIFETIME="${BENCH_SERVER_LIFETIME:-1800}"
# Seconds one copy may take before it is killed (a hung run must not hang `make bench`).
BENCH_RUN_TIMEOUT="${BENCH_RUN_TIMEOUT:-300}"
declare -A REG_ADDR=() REG_LOG=() REG_MARK=() REG_PID=()
# BENCH_TLS=1: the registries serve HTTPS (and offer h2, as Go does over TLS) with a certificate
# made by bench_tls_init, which both tools verify: the shape of the real job, where every
# registry is HTTPS.
BENCH_TLS="${BENCH_TLS:-0}"
TLS_DIR=""

say() { printf '[bench] %s\n' "$*" >&2; }

die() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}

# stop_pgid PGID: TERM the group, wait at most 5 s, then KILL.
stop_pgid() {
  local pgid="$1" i
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$? pgid
  for pgid in "${BENCH_PGIDS[@]}"; do
    stop_pgid "$pgid"
  done
  BENCH_PGIDS=()
  if [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" ]]; then
    if [[ -n "${BENCH_KEEP_TMP:-}" ]]; then
      say "kept $BENCH_TMP (BENCH_KEEP_TMP is set)"
    else
      rm -rf "$BENCH_TMP"
    fi
  fi
  exit "$rc"
}

bench_init() {
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/ecrm-bench.XXXXXX")" || die "cannot create a temp dir"
  mkdir -p "$BENCH_TMP/home" "$BENCH_TMP/runs"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  # The runner's INPUT_* variables are inputs to ecr-mirror: none may leak in from the caller.
  local name
  while read -r name; do
    [[ -n "$name" ]] && unset "$name"
  done < <(compgen -e | grep -E '^INPUT_' || true)
  unset GITHUB_OUTPUT GITHUB_STEP_SUMMARY DOCKER_CONFIG REGISTRY_AUTH_FILE
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; returns 1 when the time is up.
wait_until() {
  local seconds="$1" i
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_registry_answers() {
  local scheme=http
  [[ "$BENCH_TLS" == 1 ]] && scheme=https
  [[ "$(curl -s -k -o /dev/null -w '%{http_code}' --max-time 1 "$scheme://$1/v2/" 2>/dev/null)" == 200 ]]
}

# bench_tls_init: a certificate for 127.0.0.1 (server.crt, server.key), the same as a CA for
# skopeo (certs.d/ca.crt), and trust.pem, the system bundle plus it, for ecr-mirror's
# SSL_CERT_FILE: a trust store as big as a runner's is part of what a TLS connection costs.
bench_tls_init() {
  TLS_DIR="$BENCH_TMP/tls"
  mkdir -p "$TLS_DIR/certs.d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.crt" 2>/dev/null ||
    die "openssl could not make the bench's certificate"
  cp "$TLS_DIR/server.crt" "$TLS_DIR/certs.d/ca.crt"
  cat /etc/ssl/certs/ca-certificates.crt "$TLS_DIR/server.crt" >"$TLS_DIR/trust.pem" ||
    die "no system CA bundle at /etc/ssl/certs/ca-certificates.crt"
}

# registry_start NAME: docker-registry with filesystem storage on a free loopback port. Log level
# warn keeps its own logging out of the measurement; the access log (one line per request, on
# stdout, independent of the level) stays on so the no-op run's requests can be counted.
registry_start() {
  local name="$1" dir="$BENCH_TMP/registry-$1" attempt port
  mkdir -p "$dir/data"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ecrm-bench-$RANDOM$RANDOM
EOF
    if [[ "$BENCH_TLS" == 1 ]]; then
      printf '  tls:\n    certificate: %s\n    key: %s\n' "$TLS_DIR/server.crt" "$TLS_DIR/server.key" \
        >>"$dir/config.yml"
    fi
    : >"$dir/access.log"
    : >"$dir/registry.err"
    setsid timeout --kill-after=5 "$BENCH_SERVER_LIFETIME" docker-registry serve "$dir/config.yml" \
      >>"$dir/access.log" 2>>"$dir/registry.err" </dev/null &
    BENCH_PGIDS+=("$!")
    if wait_until 10 _registry_answers "127.0.0.1:$port"; then
      REG_ADDR[$name]="127.0.0.1:$port"
      REG_LOG[$name]="$dir/access.log"
      REG_MARK[$name]=0
      REG_PID[$name]="$(pgrep -g "${BENCH_PGIDS[-1]}" -x docker-registry | head -n 1)"
      return 0
    fi
    stop_pgid "${BENCH_PGIDS[-1]}"
    grep -q 'address already in use' "$dir/registry.err" ||
      die "registry $name did not answer on 127.0.0.1:$port within 10 s: $(tail -n 5 "$dir/registry.err")"
    say "port $port was taken (attempt $attempt); retrying"
  done
  die "registry $name: no free port after 5 attempts"
}

# registries_cpu: CPU seconds (user+sys, all threads) both registries have used so far. The
# registries share the machine's cores with the copying tool, so their work bounds the wall time.
registries_cpu() {
  local pid total=0 ticks
  ticks="$(getconf CLK_TCK)"
  # The wide-area mode's delay lines (run.sh: DELAY_PID) sit on the same path and count too.
  for pid in "${REG_PID[@]}" ${DELAY_PID[@]+"${DELAY_PID[@]}"}; do
    [[ -r "/proc/$pid/stat" ]] || continue
    # Fields after the ")" that ends comm: utime and stime are the 12th and 13th.
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.2f", t / hz }'
}

# registry_mark NAME: registry_requests only reports requests logged after this call.
registry_mark() { REG_MARK[$1]="$(wc -l <"${REG_LOG[$1]}")"; }

# registry_requests NAME: "METHOD URI STATUS" for each request since the mark. distribution
# writes the access line after the response, so give it a moment before reading.
registry_requests() {
  sleep 0.3
  tail -n "+$((REG_MARK[$1] + 1))" "${REG_LOG[$1]}" |
    sed -nE 's/^.*\] "([A-Z]+) ([^ ]+) HTTP\/[0-9.]+" ([0-9]+) .*$/\1 \2 \3/p'
}

# measure LABEL CMD...: runs CMD under /usr/bin/time -v, bounded by BENCH_RUN_TIMEOUT. Sets
# M_RC, M_WALL (s), M_RSS (KiB, "Maximum resident set size"), M_CPU (user+sys s), M_SYS (the
# kernel's share of it), M_OUT, M_ERR.
# timeout sits outside time so a kill reaches the whole group, time and the measured command.
measure() {
  local label="$1" times
  shift
  times="$BENCH_TMP/runs/$label.time"
  M_OUT="$BENCH_TMP/runs/$label.out"
  M_ERR="$BENCH_TMP/runs/$label.err"
  M_RC=0
  HOME="$BENCH_TMP/home" timeout --kill-after=5 "$BENCH_RUN_TIMEOUT" \
    /usr/bin/time -v -o "$times" "$@" >"$M_OUT" 2>"$M_ERR" </dev/null || M_RC=$?
  M_WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($NF, p, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + p[i]
      printf "%.3f", s }' "$times" 2>/dev/null)"
  M_RSS="$(awk -F': ' '/Maximum resident set size/ { print $NF }' "$times" 2>/dev/null)"
  M_CPU="$(awk -F': ' '/User time/ { u = $NF } /System time/ { s = $NF } END { printf "%.2f", u + s }' \
    "$times" 2>/dev/null)"
  M_SYS="$(awk -F': ' '/System time/ { printf "%.2f", $NF }' "$times" 2>/dev/null)"
  [[ -n "$M_SYS" ]] || M_SYS=NaN
  [[ -n "$M_WALL" ]] || M_WALL=NaN
  [[ -n "$M_RSS" ]] || M_RSS=0
}

# raw_digest REF: sha256 of the manifest bytes the registry serves for docker://REF. Through a
# file, not $(...), which would drop trailing newlines and change the digest.
raw_digest() {
  local raw="$BENCH_TMP/raw-manifest"
  skopeo inspect --raw --tls-verify=false "docker://$1" >"$raw" 2>/dev/null || return 1
  [[ -s "$raw" ]] || return 1
  printf 'sha256:%s' "$(sha256sum <"$raw" | cut -d' ' -f1)"
}

# median: the median of the numbers on stdin, one a line ("-" when there are none).
median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B with two decimals, "-" when either is missing.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# verdict VALUE OP LIMIT: MET / NOT MET ("NOT MEASURED" when VALUE is missing).
verdict() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "-" || v == "") { print "NOT MEASURED"; exit }
    ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 < l + 0)
    print ok ? "MET" : "NOT MET" }'
}
