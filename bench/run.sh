#!/usr/bin/env bash
# bench/run.sh PATH_TO_ECR_MIRROR: ecr-mirror against `skopeo copy --all` between two local
# registries (wall clock, peak RSS), ecr-mirror's no-op request count, and its peak RSS on a
# 1 GiB layer. Prints a table with the performance targets marked MET / NOT MET.
# See bench/README.md for what is measured and how to read it. Knobs (environment):
#   BENCH_ROUNDS=3        rounds per image (each round runs both tools, the order alternating)
#   BENCH_SWEEP="8 16 32" --concurrency values tried on image B (empty: no sweep)
#   BENCH_C=1             image C (one 1 GiB layer); BENCH_C_BYTES its size; BENCH_C_SKOPEO=1
#   BENCH_SHRINK=1        divide A's and B's layer sizes by this (a quick check of the bench itself)
#   BENCH_ECR=1           image B once more with the destination played as private ECR
#   BENCH_WAN=15:200      wide-area mode: both tools reach each registry through a delay line
#                         (bench/delay_line.py) holding every chunk 15 ms each way (a 30 ms round
#                         trip) and pacing each connection to 200 Mbit/s each way; empty: loopback
#   BENCH_TLS=0           1: HTTPS registries with a certificate made here, verified by both tools
#   BENCH_STRICT=0        1: exit 3 when a target is NOT MET
#   BENCH_REPORT=FILE     also write the report there; BENCH_KEEP_TMP=1 keeps the temp dir
set -euo pipefail

BENCH_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$BENCH_SRC")"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_SRC/lib.sh"

ROUNDS="${BENCH_ROUNDS:-3}"
SWEEP="${BENCH_SWEEP-8 16 32}"
WITH_C="${BENCH_C:-1}"
C_BYTES="${BENCH_C_BYTES:-1073741824}"
C_SKOPEO="${BENCH_C_SKOPEO:-1}"
TAG=bench
# skopeo mounts blobs it remembers from earlier copies; every skopeo run must start cold.
BLOB_INFO_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb
MIB=$((1 << 20))
SHRINK="${BENCH_SHRINK:-1}"

[[ $# -eq 1 ]] || die "usage: bench/run.sh PATH_TO_ECR_MIRROR"
[[ -x "$1" ]] || die "$1 is not an executable file (build ecr-mirror first)"
ECRM="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got '$ROUNDS'"
[[ "$SHRINK" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SHRINK must be a positive integer, got '$SHRINK'"

check_tools() {
  local tool
  for tool in docker-registry skopeo curl jq openssl pgrep sha256sum setsid timeout /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/install-deps.sh installs it)"
  done
  if [[ ! -x /usr/bin/time ]]; then
    [[ "$(id -u)" == 0 ]] || die "/usr/bin/time is missing: apt-get install time"
    say "installing the 'time' package for /usr/bin/time -v"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null || die "cannot install time"
  fi
}

# ------------------------------------------------------------------ images

declare -A IMG_ARGS=(
  [A]="--platforms linux/amd64,linux/arm64 --layers 5 --layer-size $((30 * MIB / SHRINK)) --seed 101"
  [B]="--platforms linux/amd64,linux/arm64 --layers 50 --layer-size $((3 * MIB / SHRINK)) --seed 102"
  # make_image accepts a single platform, so C is one 1 GiB layer, not 2 x 512 MiB.
  [C]="--platforms linux/amd64 --layers 1 --layer-size $C_BYTES --seed 103"
)
declare -A IMG_DIGEST=() IMG_BYTES=() IMG_SHAPE=() IMG_BLOBS=()

# prepare_image NAME: writes the layout, seeds it into SRC once as src/<name>:bench, checks
# the source serves the index make_image wrote, and drops the layout to save disk.
prepare_image() {
  local name="$1" layout="$BENCH_TMP/layout-$1" args started
  read -ra args <<<"${IMG_ARGS[$name]}"
  started=$SECONDS
  /usr/bin/python3 "$REPO_ROOT/tests/lib/make_image.py" --out "$layout" --tag "$TAG" "${args[@]}" \
    >"$BENCH_TMP/summary-$name.json" || die "make_image.py failed for image $name"
  IMG_DIGEST[$name]="$(jq -r .index_digest "$BENCH_TMP/summary-$name.json")"
  IMG_BLOBS[$name]="$(jq -r '.blobs | length' "$BENCH_TMP/summary-$name.json")"
  IMG_BYTES[$name]="$(du -sb "$layout/blobs" | cut -f1)"
  if ((args[5] >= MIB)); then
    IMG_SHAPE[$name]="${args[1]//linux\//} x ${args[3]} x $((args[5] / MIB)) MiB"
  else
    IMG_SHAPE[$name]="${args[1]//linux\//} x ${args[3]} x $((args[5] / 1024)) KiB"
  fi
  skopeo copy --quiet --all --dest-tls-verify=false "oci:$layout:$TAG" \
    "docker://$SRC/src/${name,,}:$TAG" >"$BENCH_TMP/seed-$name.log" 2>&1 ||
    die "seeding image $name failed: $(tail -n 5 "$BENCH_TMP/seed-$name.log")"
  [[ "$(raw_digest "$SRC/src/${name,,}:$TAG")" == "${IMG_DIGEST[$name]}" ]] ||
    die "source serves a different index for image $name than make_image wrote"
  rm -rf "$layout"
  say "image $name (${IMG_SHAPE[$name]}, $((IMG_BYTES[$name] / MIB)) MiB) generated and seeded in $((SECONDS - started)) s"
}

# ------------------------------------------------------------------ runs

RESULTS=""    # TSV: image tool round wall_s rss_kib cpu_s status registry_cpu_s dst_blob_requests_per_blob sys_s
BAD_RUNS=0    # ecr-mirror copies that failed or produced a different index
declare -A LAST_GOOD_REPO=() TAG_COUNT=()

record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# blob_requests_per_blob IMAGE: the destination's blob requests (HEAD, POST, PATCH, PUT on
# /blobs/) since its mark, per blob of the image: the round trips a copy pays for each new blob.
blob_requests_per_blob() {
  local n
  n="$(registry_requests dst | grep -c ' /v2/[^ ]*/blobs/' || true)"
  awk -v n="$n" -v b="${IMG_BLOBS[$1]}" 'BEGIN { printf "%.2f", n / b }'
}

# timed LABEL CMD...: measure, plus M_REGCPU, the registries' CPU seconds during the run.
timed() {
  local before
  before="$(registries_cpu)"
  measure "$@"
  M_REGCPU="$(awk -v a="$before" -v b="$(registries_cpu)" 'BEGIN { printf "%.2f", b - a }')"
}

# check_copy IMAGE REPO: "ok" when DST serves, under the tag, the index the source serves.
check_copy() {
  local got
  got="$(raw_digest "$DST/$2:$TAG")" || {
    echo missing
    return
  }
  if [[ "$got" == "${IMG_DIGEST[$1]}" ]]; then echo ok; else echo wrong; fi
}

# run_ecrm IMAGE TOOL_LABEL ROUND [EXTRA_ARGS...]: one ecr-mirror copy into a fresh repository.
run_ecrm() {
  local img="$1" label="$2" round="$3" repo status
  shift 3
  repo="dst/${img,,}-${label//[^a-z0-9]/}-r$round"
  registry_mark dst
  timed "$img-$label-r$round" "$ECRM" --source "$TOOL_SRC/src/${img,,}:$TAG" --destination "$TOOL_DST/$repo" \
    "${ECRM_NET[@]}" --output-file "$BENCH_TMP/runs/$img-$label-r$round.outputs" "$@"
  if [[ $M_RC != 0 ]]; then
    status="exit-$M_RC"
  else
    status="$(check_copy "$img" "$repo")"
  fi
  if [[ "$status" == ok ]]; then
    LAST_GOOD_REPO[$img]="$repo"
    TAG_COUNT[$img]="$(sed -n 's/^tags-pushed=//p' "$BENCH_TMP/runs/$img-$label-r$round.outputs" |
      tail -n 1 | tr ',' '\n' | grep -c .)"
  else
    BAD_RUNS=$((BAD_RUNS + 1))
    say "ecr-mirror run $img/$label/r$round: $status; last log lines:"
    tail -n 5 "$M_ERR" >&2
  fi
  local per_blob
  per_blob="$(blob_requests_per_blob "$img")"
  record "$img" "$label" "$round" "$M_WALL" "$M_RSS" "$M_CPU" "$status" "$M_REGCPU" "$per_blob" "$M_SYS"
  say "$img r$round $label: ${M_WALL} s, $((M_RSS / 1024)) MiB, cpu ${M_CPU} s, registries ${M_REGCPU} s, $per_blob dst requests/blob, $status"
}

run_skopeo() {
  local img="$1" round="$2" repo status
  repo="dst/${img,,}-skopeo-r$round"
  rm -f "$BLOB_INFO_CACHE" "$BENCH_TMP/home/.local/share/containers/cache/blob-info-cache-v1.boltdb"
  registry_mark dst
  timed "$img-skopeo-r$round" skopeo copy --all "${SKOPEO_NET[@]}" \
    "docker://$TOOL_SRC/src/${img,,}:$TAG" "docker://$TOOL_DST/$repo:$TAG"
  if [[ $M_RC != 0 ]]; then
    status="exit-$M_RC"
    say "skopeo run $img/r$round failed: $(tail -n 3 "$M_ERR")"
  else
    status="$(check_copy "$img" "$repo")"
    [[ "$status" == ok ]] && LAST_SKOPEO_REPO[$img]="$repo"
  fi
  local per_blob
  per_blob="$(blob_requests_per_blob "$img")"
  record "$img" skopeo "$round" "$M_WALL" "$M_RSS" "$M_CPU" "$status" "$M_REGCPU" "$per_blob" "$M_SYS"
  say "$img r$round skopeo: ${M_WALL} s, $((M_RSS / 1024)) MiB, cpu ${M_CPU} s, registries ${M_REGCPU} s, $per_blob dst requests/blob, $status"
}

# bench_image IMAGE WITH_SKOPEO: ROUNDS rounds, the tool that goes first alternating, so neither
# always gets the warmer page cache.
bench_image() {
  local img="$1" with_skopeo="$2" round
  for ((round = 1; round <= ROUNDS; round++)); do
    if [[ "$with_skopeo" != 1 ]]; then
      run_ecrm "$img" ecr-mirror "$round"
    elif ((round % 2)); then
      run_ecrm "$img" ecr-mirror "$round"
      run_skopeo "$img" "$round"
    else
      run_skopeo "$img" "$round"
      run_ecrm "$img" ecr-mirror "$round"
    fi
  done
}

declare -A NOOP_PROG=() NOOP_LOG=() NOOP_NOPING=() NOOP_WALL=() NOOP_CHANGED=() NOOP_RSS=()
declare -A LAST_SKOPEO_REPO=() SKOPEO_NOOP_WALL=()

# noop_image IMAGE: re-runs ecr-mirror against a repository it already mirrored and counts its
# requests twice: as ecr-mirror reports them (last log line) and in both registries' access logs.
noop_image() {
  local img="$1" repo="${LAST_GOOD_REPO[$1]:-}" requests
  if [[ -z "$repo" ]]; then
    say "no-op $img: skipped, no ecr-mirror copy of $img verified"
    return
  fi
  registry_mark src
  registry_mark dst
  measure "$img-noop" "$ECRM" --source "$TOOL_SRC/src/${img,,}:$TAG" --destination "$TOOL_DST/$repo" \
    "${ECRM_NET[@]}" --output-file "$BENCH_TMP/runs/$img-noop.outputs"
  requests="$BENCH_TMP/runs/$img-noop.requests"
  {
    registry_requests src | sed 's/^/source      /'
    registry_requests dst | sed 's/^/destination /'
  } >"$requests"
  NOOP_WALL[$img]="$M_WALL"
  NOOP_RSS[$img]="$M_RSS"
  NOOP_PROG[$img]="$(grep -oE '[0-9]+ registry requests' "$M_ERR" | tail -n 1 | cut -d' ' -f1)"
  [[ -n "${NOOP_PROG[$img]}" && $M_RC == 0 ]] || NOOP_PROG[$img]="-"
  NOOP_LOG[$img]="$(grep -c . "$requests" || true)"
  NOOP_NOPING[$img]="$(grep -vc ' GET /v2/ ' "$requests" || true)"
  NOOP_CHANGED[$img]="$(sed -n 's/^changed=//p' "$BENCH_TMP/runs/$img-noop.outputs" | tail -n 1)"
  say "no-op $img: exit $M_RC, ${M_WALL} s, program ${NOOP_PROG[$img]} requests, access logs ${NOOP_LOG[$img]}"
  # skopeo's unchanged re-run: the same copy into the repository it already filled.
  local skopeo_repo="${LAST_SKOPEO_REPO[$img]:-}"
  if [[ -n "$skopeo_repo" ]]; then
    rm -f "$BLOB_INFO_CACHE" "$BENCH_TMP/home/.local/share/containers/cache/blob-info-cache-v1.boltdb"
    timed "$img-skopeo-noop" skopeo copy --all "${SKOPEO_NET[@]}" \
      "docker://$TOOL_SRC/src/${img,,}:$TAG" "docker://$TOOL_DST/$skopeo_repo:$TAG"
    [[ $M_RC == 0 ]] && SKOPEO_NOOP_WALL[$img]="$M_WALL"
    say "no-op $img: skopeo's re-run ${M_WALL} s (exit $M_RC)"
  fi
}

# ------------------------------------------------------------------ the wide-area path

WAN_DELAY="" WAN_MBIT=""
if [[ -n "${BENCH_WAN:-}" ]]; then
  [[ "$BENCH_WAN" =~ ^([0-9.]+):([0-9.]+)$ ]] || die "BENCH_WAN must be MS:MBIT (e.g. 15:200), got '$BENCH_WAN'"
  WAN_DELAY="${BASH_REMATCH[1]}" WAN_MBIT="${BASH_REMATCH[2]}"
fi
declare -A DELAY_PID=()
# delay_line_start NAME UPSTREAM VAR: a delay line in front of UPSTREAM; its address into VAR (not
# printed: a command substitution's subshell would lose the process bookkeeping).
delay_line_start() {
  local name="$1" dir="$BENCH_TMP/delay-$1" i
  mkdir -p "$dir"
  setsid timeout --kill-after=5 "$BENCH_SERVER_LIFETIME" /usr/bin/python3 "$BENCH_SRC/delay_line.py" \
    --upstream "$2" --delay-ms "$WAN_DELAY" --mbit "$WAN_MBIT" --ready-file "$dir/ready.json" \
    --cpu-file "$dir/cpu" --max-seconds "$BENCH_SERVER_LIFETIME" >"$dir/out" 2>"$dir/err" </dev/null &
  BENCH_PGIDS+=("$!")
  for ((i = 0; i < 100; i++)); do [[ -s "$dir/ready.json" ]] && break; sleep 0.05; done
  [[ -s "$dir/ready.json" ]] || die "delay line $name did not start: $(cat "$dir/err")"
  DELAY_PID[$name]="$(jq -r .pid "$dir/ready.json")"
  printf -v "$3" '127.0.0.1:%s' "$(jq -r .port "$dir/ready.json")"
}

# delay_lines_cpu: CPU seconds the delay lines have used so far (from /proc, while they run).
delay_lines_cpu() {
  local name total=0 ticks
  ticks="$(getconf CLK_TCK)"
  for name in "${!DELAY_PID[@]}"; do
    [[ -r "/proc/${DELAY_PID[$name]}/stat" ]] || continue
    total=$((total + $(sed 's/^.*) //' "/proc/${DELAY_PID[$name]}/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.2f", t / hz }'
}

# ------------------------------------------------------------------ the ECR path

ECR_LINE=""
# ecr_path IMAGE: one first copy of IMAGE with the destination played as private ECR: the
# registry is the same destination, tests/lib/aws_server.py answers the ECR API
# (BatchCheckLayerAvailability from the registry's storage). Counts the destination's blob
# requests per blob and the API calls, against the registry path's count above.
ecr_path() {
  local img="$1" dir="$BENCH_TMP/aws" url i repo="dst/ecr-${1,,}"
  mkdir -p "$dir"
  setsid timeout --kill-after=5 "$BENCH_SERVER_LIFETIME" /usr/bin/python3 "$REPO_ROOT/tests/lib/aws_server.py" \
    --port 0 --ready-file "$dir/ready.json" --log "$dir/requests.jsonl" \
    --static-credentials AKIAECRMBENCH0000001:bench-secret --ecr-passwords bench-password \
    --registry-root "$BENCH_TMP/registry-dst/data" --max-seconds "$BENCH_SERVER_LIFETIME" \
    >"$dir/server.out" 2>"$dir/server.err" </dev/null &
  BENCH_PGIDS+=("$!")
  for ((i = 0; i < 100; i++)); do [[ -s "$dir/ready.json" ]] && break; sleep 0.1; done
  url="$(jq -r .url "$dir/ready.json" 2>/dev/null)" || { ECR_LINE="aws_server.py did not start"; return; }
  registry_mark dst
  measure "$img-ecr" env AWS_ACCESS_KEY_ID=AKIAECRMBENCH0000001 AWS_SECRET_ACCESS_KEY=bench-secret \
    AWS_ENDPOINT_URL_ECR="$url" AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null "$ECRM" --source "$TOOL_SRC/src/${img,,}:$TAG" \
    --destination "$TOOL_DST/$repo" --destination-type ecr --aws-region us-east-1 --create-repository \
    --insecure-registries "$TOOL_SRC,$TOOL_DST" --output-file "$BENCH_TMP/runs/$img-ecr.outputs"
  local status=ok
  [[ $M_RC == 0 ]] || status="exit-$M_RC"
  [[ "$status" != ok || "$(check_copy "$img" "$repo")" == ok ]] || status=wrong
  local per_blob presence calls
  per_blob="$(blob_requests_per_blob "$img")"
  presence="$(jq -c 'select(.action == "BatchCheckLayerAvailability")' "$dir/requests.jsonl" | grep -c . || true)"
  calls="$(jq -r '.action // empty' "$dir/requests.jsonl" | paste -sd, -)"
  ECR_LINE="$(printf '%-3s %-10s %8s %10s %8s  %s' "$img" "$status" "$M_WALL" "$per_blob" "$presence" "$calls")"
  say "ECR path $img: $status, ${M_WALL} s, $per_blob dst requests/blob, API calls $calls"
}

print_ecr_path() {
  [[ -n "$ECR_LINE" ]] || return 0
  printf 'first copy into private ECR (destination as ECR, aws_server.py for the API; %s blobs):\n' "${IMG_BLOBS[B]:-?}"
  printf '%-3s %-10s %8s %10s %8s  %s\n' img status 'wall s' 'req/blob' presence 'API calls'
  printf '%s\n\n' "$ECR_LINE"
}

# ------------------------------------------------------------------ report

# stats IMAGE TOOL COLUMN: median of COLUMN over that tool's successful runs on IMAGE.
stats() {
  awk -F'\t' -v i="$1" -v t="$2" -v c="$3" '$1 == i && $2 == t && ($7 == "ok" || t == "skopeo" && $7 !~ /^exit/) { print $c }' \
    "$RESULTS" | median
}

max_rss_mib() {
  awk -F'\t' -v i="$1" -v t="$2" '$1 == i && $2 == t && $7 == "ok" { if ($5 > m) m = $5; n++ }
    END { if (n) printf "%.1f\n", m / 1024; else print "-" }' "$RESULTS"
}

kib_to_mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f\n", k / 1024 }'; }

print_report() {
  local img tool runs good wall rss rate swall srss wall_ratio rss_ratio
  printf '\n== ecr-mirror benchmark (%s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'ecr-mirror: %s (%s)\n' "$("$ECRM" --version 2>&1 | head -n 1)" "$ECRM"
  printf 'skopeo:     %s\n' "$(skopeo --version 2>&1 | head -n 1)"
  printf 'registry:   %s (filesystem storage, log level warn)\n' "$(docker-registry --version 2>&1 | head -n 1)"
  printf 'nproc:      %s   rounds: %s   kernel: %s\n' "$(nproc)" "$ROUNDS" "$(uname -r)"
  # Other work on the machine slows both tools; a load well above nproc makes absolute numbers
  # meaningless (ratios suffer less, the tools alternating).
  printf 'load avg:   %s at start, %s at end (1/5/15 min)\n' "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ "$BENCH_TLS" == 1 ]]; then
    printf 'tls:        HTTPS registries (h2 offered), a certificate made here that both tools verify:\n'
    printf '            ecr-mirror via SSL_CERT_FILE (the system bundle + it), skopeo via --*-cert-dir\n'
  fi
  if [[ -n "${BENCH_WAN:-}" ]]; then
    printf 'wide area:  %s ms each way (%s ms round trip), %s Mbit/s per connection and direction;\n' \
      "$WAN_DELAY" "$(awk -v d="$WAN_DELAY" 'BEGIN { print 2 * d }')" "$WAN_MBIT"
    printf '            the delay lines used %s s of CPU in all (reg CPU below counts them with the registries)\n' "$(delay_lines_cpu)"
  fi
  printf '\n' 

  local row='%-3s %-24s %-16s %4s %-3s %7s %7s %7s %6s %6s %7s %6s %7s %7s %8s\n'
  # shellcheck disable=SC2059  # the format is the constant above
  printf "$row" img shape tool runs ok 'wall s' 'RSS MiB' maxRSS 'CPU s' 'sys s' 'reg CPU' 'MiB/s' 'wall/sk' 'RSS/sk' 'req/blob'
  # shellcheck disable=SC2059
  printf "$row" '' '' '' '' '' median median '' median median median '' ratio ratio median
  for img in A B C; do
    [[ -n "${IMG_DIGEST[$img]:-}" ]] || continue
    swall="$(stats "$img" skopeo 4)"
    srss="$(stats "$img" skopeo 5)"
    while read -r tool; do
      [[ -n "$tool" ]] || continue
      runs="$(awk -F'\t' -v i="$img" -v t="$tool" '$1 == i && $2 == t' "$RESULTS" | grep -c . || true)"
      good="$(awk -F'\t' -v i="$img" -v t="$tool" '$1 == i && $2 == t && $7 == "ok"' "$RESULTS" | grep -c . || true)"
      wall="$(stats "$img" "$tool" 4)"
      rss="$(stats "$img" "$tool" 5)"
      rate="$(awk -v b="${IMG_BYTES[$img]}" -v w="$wall" 'BEGIN { if (w == "-" || w + 0 == 0) print "-"; else printf "%.0f\n", b / 1048576 / w }')"
      wall_ratio="" rss_ratio=""
      if [[ "$tool" != skopeo ]]; then
        wall_ratio="$(ratio "$wall" "$swall")"
        rss_ratio="$(ratio "$rss" "$srss")"
      fi
      # shellcheck disable=SC2059
      printf "$row" "$img" "${IMG_SHAPE[$img]}" "$tool" "$runs" "$good" "$wall" "$(kib_to_mib "$rss")" \
        "$(max_rss_mib "$img" "$tool")" "$(stats "$img" "$tool" 6)" "$(stats "$img" "$tool" 10)" \
        "$(stats "$img" "$tool" 8)" "$rate" \
        "$wall_ratio" "$rss_ratio" "$(stats "$img" "$tool" 9)"
    done < <(awk -F'\t' -v i="$img" '$1 == i { print $2 }' "$RESULTS" | awk '!seen[$0]++')
  done
  printf '(ok: ecr-mirror runs whose destination serves the source index digest; skopeo copies are\n'
  printf ' checked the same way but a differing skopeo index only shows in the ok column.\n'
  printf ' medians over ok runs; maxRSS is the largest peak over ok runs; CPU s is the tool user+sys time,\n'
  printf ' sys s the kernel part of it (sockets, scheduling, page faults);\n'
  printf ' reg CPU is what both registries burnt meanwhile, on the same %s cores; ratios are ecr-mirror/skopeo;\n' "$(nproc)"
  printf ' req/blob: destination requests on /blobs/ (HEAD, POST, PATCH, PUT) per blob of a first copy.)\n\n'
  print_ecr_path

  printf 'no-op re-run against an already-mirrored destination:\n'
  printf '%-3s %8s %8s %8s %14s %16s %8s\n' img 'wall s' 'RSS MiB' changed 'program count' 'access-log count' 'w/o /v2/'
  for img in A B C; do
    [[ -n "${NOOP_WALL[$img]:-}" ]] || continue
    printf '%-3s %8s %8s %8s %14s %16s %8s\n' "$img" "${NOOP_WALL[$img]}" "$(kib_to_mib "${NOOP_RSS[$img]}")" \
      "${NOOP_CHANGED[$img]:-?}" "${NOOP_PROG[$img]}" "${NOOP_LOG[$img]}" "${NOOP_NOPING[$img]}"
  done
  for img in A B C; do
    [[ -s "$BENCH_TMP/runs/$img-noop.requests" ]] || continue
    printf '  requests seen for %s:\n' "$img"
    sed 's/^/    /' "$BENCH_TMP/runs/$img-noop.requests"
  done
  printf '\n'

  print_targets
}

# ------------------------------------------------------------------ floors

SHA_MBPS=""
# measure_hash_rate: SHA-256 throughput of this machine in MB/s, through the libcrypto ecr-mirror
# hashes with (EVP, 16 KiB updates, about what one read from a socket hands it).
measure_hash_rate() {
  SHA_MBPS="$(openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null |
    awk '$1 == "sha256" { v = $NF; sub(/k$/, "", v); printf "%.0f", v / 1000 }')"
  [[ "$SHA_MBPS" =~ ^[0-9]+$ && "$SHA_MBPS" != 0 ]] || SHA_MBPS=""
}

# hash_floor IMAGE: CPU seconds that hashing the image's bytes once takes ("-" if not measured).
hash_floor() {
  awk -v b="${IMG_BYTES[$1]}" -v r="${SHA_MBPS:--}" 'BEGIN {
    if (r == "-") print "-"; else printf "%.3f\n", b / (r * 1e6) }'
}

# noop_round_trips: the round trips an unchanged re-run cannot do without, one after another:
# the connection, the source's manifest HEAD, then the referrers of the digest it answers (the
# destination's tag HEADs run beside them); one more for the TLS 1.3 handshake.
noop_round_trips() { if [[ "$BENCH_TLS" == 1 ]]; then echo 4; else echo 3; fi; }

# noop_floor_ratio IMAGE: those round trips over skopeo's unchanged re-run ("-" on loopback).
noop_floor_ratio() {
  [[ -n "$WAN_DELAY" && -n "${SKOPEO_NOOP_WALL[$1]:-}" ]] || {
    echo -
    return
  }
  awk -v n="$(noop_round_trips)" -v d="$WAN_DELAY" -v s="${SKOPEO_NOOP_WALL[$1]}" \
    'BEGIN { printf "%.2f\n", n * 2 * d / 1000 / s }'
}

print_floors() {
  local img hash
  printf 'floors: what no copy that checks every byte can go below on this machine and path\n'
  printf '  SHA-256 here: %s MB/s (openssl speed -evp sha256, 16 KiB blocks)\n' "${SHA_MBPS:-not measured}"
  for img in A B C; do
    [[ -n "${IMG_DIGEST[$img]:-}" ]] || continue
    hash="$(hash_floor "$img")"
    printf '  %s: hashing its %s MiB once takes %s s of CPU, %s x skopeo'"'"'s CPU (%s s); ecr-mirror used %s s, %s s of it in the kernel\n' \
      "$img" "$(awk -v b="${IMG_BYTES[$img]}" 'BEGIN { printf "%.1f", b / 1048576 }')" "$hash" "$(ratio "$hash" "$(stats "$img" skopeo 6)")" \
      "$(stats "$img" skopeo 6)" "$(stats "$img" ecr-mirror 6)" "$(stats "$img" ecr-mirror 10)"
  done
  if [[ -n "$WAN_DELAY" ]]; then
    printf '  unchanged re-run: %s round trips of %s ms in sequence (connect, %smanifest HEAD, referrers of its digest)\n' \
      "$(noop_round_trips)" "$(awk -v d="$WAN_DELAY" 'BEGIN { print 2 * d }')" \
      "$(if [[ "$BENCH_TLS" == 1 ]]; then echo 'TLS handshake, '; fi)"
  fi
  for img in A B C; do
    [[ -n "${NOOP_RSS[$img]:-}" ]] || continue
    printf '  peak RSS with no transfer in flight (the no-op of %s): %s MiB\n' "$img" "$(kib_to_mib "${NOOP_RSS[$img]}")"
    break
  done
  printf '\n'
}

UNMET=0
# target_line WHAT VALUE OP LIMIT [FLOOR]: FLOOR is the floor above for the same quantity.
target_line() {
  local what="$1" value="$2" op="$3" limit="$4" floor="${5:-}" v
  v="$(verdict "$value" "$op" "$limit")"
  [[ "$v" == MET ]] || UNMET=$((UNMET + 1))
  printf '%-52s %8s %4s %-6s %-12s %s\n' "$what" "$value" "$op" "$limit" "$v" "${floor:+floor $floor}"
}

print_targets() {
  local img limit
  print_floors
  printf '%-52s %8s %4s %-6s %-12s %s\n' target value '' limit verdict ''
  for img in A B; do
    [[ -n "${IMG_DIGEST[$img]:-}" ]] || continue
    limit=0.70
    [[ "$img" == B ]] && limit=0.50
    # Wide area (issue 12): 0.8 on A (10 x 30 MiB), 0.45 on B (100 x 3 MiB).
    if [[ -n "$WAN_DELAY" ]]; then
      limit=0.80
      [[ "$img" == B ]] && limit=0.45
    fi
    target_line "$img: wall ecr-mirror / skopeo (medians)" \
      "$(ratio "$(stats "$img" ecr-mirror 4)" "$(stats "$img" skopeo 4)")" '<=' "$limit"
  done
  for img in A B C; do
    [[ -n "${IMG_DIGEST[$img]:-}" ]] || continue
    target_line "$img: ecr-mirror peak RSS MiB (largest of ok runs)" "$(max_rss_mib "$img" ecr-mirror)" '<=' 16 \
      "$(kib_to_mib "${NOOP_RSS[$img]:--}")"
  done
  for img in A B C; do
    [[ -n "${IMG_DIGEST[$img]:-}" ]] || continue
    # Own CPU (user+sys) per GB copied, against skopeo's for the same copy (issue 12: <= 0.3).
    target_line "$img: CPU ecr-mirror / skopeo (medians)" \
      "$(ratio "$(stats "$img" ecr-mirror 6)" "$(stats "$img" skopeo 6)")" '<=' 0.30 \
      "$(ratio "$(hash_floor "$img")" "$(stats "$img" skopeo 6)")"
  done
  for img in A B C; do
    [[ -n "${NOOP_WALL[$img]:-}" && -n "${SKOPEO_NOOP_WALL[$img]:-}" ]] || continue
    target_line "$img: unchanged re-run wall ecr-mirror / skopeo" \
      "$(ratio "${NOOP_WALL[$img]}" "${SKOPEO_NOOP_WALL[$img]}")" '<=' 0.10 "$(noop_floor_ratio "$img")"
  done
  for img in A B C; do
    [[ -n "${NOOP_WALL[$img]:-}" ]] || continue
    # 1 + tags, and the referrers check of an image that has none: one probe of the referrers
    # API and one tag listing (README, "Signatures, SBOMs and attestations").
    limit=$((1 + ${TAG_COUNT[$img]:-2} + 2))
    target_line "$img: no-op requests, as ecr-mirror reports them" "${NOOP_PROG[$img]}" '<=' "$limit"
    target_line "$img: no-op requests, in the registries' access logs" "${NOOP_LOG[$img]}" '<=' "$limit"
  done
  if ((BAD_RUNS > 0)); then
    printf '\nINVALID: %s ecr-mirror run(s) failed or left a different index at the destination.\n' "$BAD_RUNS"
  fi
  [[ -n "${C_SKIPPED:-}" ]] && printf '\nimage C skipped: %s\n' "$C_SKIPPED"
  return 0
}

# ------------------------------------------------------------------ main

main() {
  local started=$SECONDS need avail img round c
  LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
  check_tools
  bench_init
  measure_hash_rate
  RESULTS="$BENCH_TMP/results.tsv"
  : >"$RESULTS"

  # Blobs are stored once per registry whatever the number of repositories, so the disk needed
  # is about the layouts plus one copy in each registry.
  need=$(((600 * MIB + C_BYTES) * 3 / 1024 + 1024 * 1024))
  avail="$(df -Pk "$BENCH_TMP" | awk 'NR == 2 { print $4 }')"
  if [[ "$WITH_C" == 1 ]] && ((avail < need)); then
    C_SKIPPED="only $((avail / 1024)) MiB free in $BENCH_TMP, about $((need / 1024)) MiB needed"
    WITH_C=0
  fi
  [[ "$WITH_C" == 1 ]] || unset 'IMG_ARGS[C]'

  [[ "$BENCH_TLS" == 1 ]] && bench_tls_init
  registry_start src
  registry_start dst
  SRC="${REG_ADDR[src]}"
  DST="${REG_ADDR[dst]}"
  say "registries: source $SRC, destination $DST; temp dir $BENCH_TMP"
  # The tools reach the registries at TOOL_SRC/TOOL_DST: the registries themselves, or delay
  # lines in front of them. Seeding and the checks go direct.
  TOOL_SRC="$SRC" TOOL_DST="$DST"
  if [[ -n "${BENCH_WAN:-}" ]]; then
    delay_line_start src "$SRC" TOOL_SRC
    delay_line_start dst "$DST" TOOL_DST
    say "wide area: ${WAN_DELAY} ms each way, ${WAN_MBIT} Mbit/s per connection; tools use $TOOL_SRC and $TOOL_DST"
  fi
  # How each tool reaches the registries: plain HTTP named as such, or TLS verified.
  if [[ "$BENCH_TLS" == 1 ]]; then
    ECRM_NET=()
    SKOPEO_NET=(--src-cert-dir "$TLS_DIR/certs.d" --dest-cert-dir "$TLS_DIR/certs.d")
    export SSL_CERT_FILE="$TLS_DIR/trust.pem"
  else
    ECRM_NET=(--insecure-registries "$TOOL_SRC,$TOOL_DST")
    SKOPEO_NET=(--src-tls-verify=false --dest-tls-verify=false)
  fi

  for img in A B C; do
    [[ -n "${IMG_ARGS[$img]:-}" ]] && prepare_image "$img"
  done

  for img in A B; do
    bench_image "$img" 1
    noop_image "$img"
  done
  if [[ -n "$SWEEP" ]]; then
    for ((round = 1; round <= ROUNDS; round++)); do
      for c in $SWEEP; do
        run_ecrm B "ecr-mirror-c$c" "$round" --concurrency "$c"
      done
    done
  fi
  # The ECR path's API server (tests/lib/aws_server.py) speaks plain HTTP only.
  [[ "${BENCH_ECR:-1}" == 1 && "$BENCH_TLS" != 1 ]] && ecr_path B
  if [[ "$WITH_C" == 1 ]]; then
    bench_image C "$C_SKOPEO"
    noop_image C
  fi
  say "bench finished in $((SECONDS - started)) s"

  # Not through a pipe: print_report must run in this shell to count UNMET.
  print_report >"$BENCH_TMP/report.txt"
  cat "$BENCH_TMP/report.txt"
  [[ -z "${BENCH_REPORT:-}" ]] || cp "$BENCH_TMP/report.txt" "$BENCH_REPORT"
  ((BAD_RUNS == 0)) || exit 1
  if [[ "${BENCH_STRICT:-0}" == 1 ]] && ((UNMET > 0)); then
    exit 3
  fi
}

main
