#!/usr/bin/env bash
# Many images in one run: ecr-mirror --config against `skopeo sync --src yaml`, side by side.
#   bench/many.sh PATH_TO_ECR_MIRROR        # or: make bench-many
# BENCH_MANY_ENTRIES images (default 50), 2 platforms each, made from BENCH_MANY_LAYOUTS (10)
# images that share a base (3 of their 5 layers per platform, BENCH_MANY_LAYER_KIB KiB each).
# BENCH_ROUNDS rounds (3) of a first copy into fresh repositories, the tool that goes first
# alternating; then each tool's unchanged re-run; then ecr-mirror alone with 4 × the entries (the
# memory bound of a run of many images). Prints wall, CPU, peak RSS, the source's blob GETs and
# all requests, medians and ratios. A measurement, not a test: it exits 1 only when a copy failed
# or differs from its source.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

ECRM="$(realpath "${1:?usage: bench/many.sh PATH_TO_ECR_MIRROR}")"
ENTRIES="${BENCH_MANY_ENTRIES:-50}"
LAYOUTS="${BENCH_MANY_LAYOUTS:-10}"
LAYER_KIB="${BENCH_MANY_LAYER_KIB:-1024}"
ROUNDS="${BENCH_ROUNDS:-3}"
MAKE_IMAGE="$HERE/../tests/lib/make_image.py"
BLOB_INFO_CACHE=/var/lib/containers/cache/blob-info-cache-v1.boltdb
for tool in docker-registry skopeo jq curl /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (scripts/install-deps.sh)"
done

bench_init
registry_start src
registry_start dst
SRC="${REG_ADDR[src]}" DST="${REG_ADDR[dst]}"
say "registries: source $SRC, destination $DST"

for ((n = 0; n < LAYOUTS; n++)); do
  /usr/bin/python3 "$MAKE_IMAGE" --out "$BENCH_TMP/img$n" --platforms linux/amd64,linux/arm64 \
    --layers 5 --layer-size $((LAYER_KIB * 1024)) --base-seed 77 --base-layers 3 --seed $((n + 1)) \
    --tag 1 >"$BENCH_TMP/img$n.json" || die "make_image failed"
done
repos=()
for ((i = 0; i < ENTRIES; i++)); do
  repo="$(printf 'lib/img%03d' "$i")"
  skopeo copy --quiet --all --dest-tls-verify=false "oci:$BENCH_TMP/img$((i % LAYOUTS)):1" \
    "docker://$SRC/$repo:1" >/dev/null 2>&1 || die "seeding $repo failed"
  repos+=("$repo")
done
distinct_blobs="$(cat "$BENCH_TMP"/img*.json | jq -r '.blobs[]' | sort -u | wc -l)"
say "seeded $ENTRIES images from $LAYOUTS layouts ($distinct_blobs distinct blobs)"

# ecr_config FILE PREFIX COPIES: COPIES × ENTRIES entries, copy k into PREFIX/k/{repo}.
ecr_config() {
  local file="$1" prefix="$2" copies="$3" k repo
  {
    printf 'version: 1\ndefaults:\n  destination: "%s/%s/{repo}"\n  destination-tags: ["{tag}"]\n' "$DST" "$prefix"
    printf 'registries:\n  %s: {insecure: true}\n  %s: {insecure: true}\nimages:\n' "$SRC" "$DST"
    for ((k = 0; k < copies; k++)); do
      for repo in "${repos[@]}"; do
        if ((copies == 1)); then
          printf '  - %s/%s:1\n' "$SRC" "$repo"
        else
          printf '  - source: %s/%s:1\n    destination: "%s/%s/%d/{repo}"\n' "$SRC" "$repo" "$DST" "$prefix" "$k"
        fi
      done
    done
  } >"$file"
}
# skopeo sync's YAML source: one registry, every repository with its one tag.
{
  printf '%s:\n  tls-verify: false\n  images:\n' "$SRC"
  for repo in "${repos[@]}"; do printf '    %s: ["1"]\n' "$repo"; done
} >"$BENCH_TMP/sync.yml"

RESULTS="$BENCH_TMP/many.tsv"
: >"$RESULTS"
BAD=0
# record TOOL PHASE ROUND: the last measure plus the registries' request counts since the marks.
record() {
  local gets requests
  gets="$(registry_requests src | grep -cE '^GET /v2/.*/blobs/sha256:' || true)"
  requests="$(( $(registry_requests src | wc -l) + $(registry_requests dst | wc -l) ))"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$M_WALL" "$M_CPU" "$M_RSS" "$gets" "$requests" >>"$RESULTS"
  say "$1 $2 r$3: ${M_WALL} s, cpu ${M_CPU} s, $((M_RSS / 1024)) MiB, $gets source blob GETs, $requests requests, exit $M_RC"
}
# check PREFIX: every image at the destination has its source's digest.
check() {
  local repo want got
  for repo in "${repos[@]}"; do
    want="$(raw_digest "$SRC/$repo:1")"
    got="$(raw_digest "$DST/$1/$repo:1")" || got=missing
    [[ "$want" == "$got" ]] || { say "ERROR: $DST/$1/$repo:1 is $got, not $want"; BAD=$((BAD + 1)); return; }
  done
}
run_ecrm() {
  local phase="$1" round="$2" prefix="$3"
  ecr_config "$BENCH_TMP/ecr-$prefix.yml" "$prefix" 1
  registry_mark src
  registry_mark dst
  measure "ecr-$phase-$round" "$ECRM" --config "$BENCH_TMP/ecr-$prefix.yml" --output-file /dev/null \
    --insecure-registries "$SRC,$DST"
  record ecr-mirror "$phase" "$round"
  [[ $M_RC == 0 ]] || { say "ERROR: ecr-mirror failed: $(tail -n 3 "$M_ERR")"; BAD=$((BAD + 1)); }
}
run_skopeo() {
  local phase="$1" round="$2" prefix="$3"
  rm -f "$BLOB_INFO_CACHE" "$BENCH_TMP/home/.local/share/containers/cache/blob-info-cache-v1.boltdb"
  registry_mark src
  registry_mark dst
  measure "skopeo-$phase-$round" skopeo sync --all --src yaml --dest docker --dest-tls-verify=false \
    "$BENCH_TMP/sync.yml" "$DST/$prefix"
  record skopeo "$phase" "$round"
  [[ $M_RC == 0 ]] || say "skopeo sync failed: $(tail -n 3 "$M_ERR")"
}

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then
    run_ecrm first "$round" "e$round"
    run_skopeo first "$round" "s$round"
  else
    run_skopeo first "$round" "s$round"
    run_ecrm first "$round" "e$round"
  fi
  check "e$round"
done
for ((round = 1; round <= ROUNDS; round++)); do
  run_ecrm noop "$round" "e$ROUNDS"
  run_skopeo noop "$round" "s$ROUNDS"
done
ecr_config "$BENCH_TMP/ecr-big.yml" big 4
registry_mark src
registry_mark dst
measure "ecr-big" "$ECRM" --config "$BENCH_TMP/ecr-big.yml" --output-file /dev/null --insecure-registries "$SRC,$DST"
record ecr-mirror "x4" 1
[[ $M_RC == 0 ]] || { say "ERROR: the 4x run failed: $(tail -n 3 "$M_ERR")"; BAD=$((BAD + 1)); }

# col TOOL PHASE FIELD: the median of a column (4 wall, 5 cpu, 6 rss KiB, 7 gets, 8 requests).
col() { awk -F'\t' -v t="$1" -v p="$2" -v f="$3" '$1 == t && $2 == p { print $f }' "$RESULTS" | median; }
{
  printf '\nMany images: %s entries x 2 platforms from %s images sharing 3 of 5 layers (%s KiB each); %s distinct blobs; medians of %s rounds\n\n' \
    "$ENTRIES" "$LAYOUTS" "$LAYER_KIB" "$distinct_blobs" "$ROUNDS"
  printf '| run | tool | wall s | CPU s | peak RSS MiB | source blob GETs | requests |\n|---|---|---|---|---|---|---|\n'
  for phase in first noop; do
    for tool in ecr-mirror skopeo; do
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$phase" "$tool" "$(col "$tool" "$phase" 4)" \
        "$(col "$tool" "$phase" 5)" "$(awk -v k="$(col "$tool" "$phase" 6)" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$(col "$tool" "$phase" 7)" "$(col "$tool" "$phase" 8)"
    done
    printf '| %s | ratio | %s | %s | %s | %s | %s |\n' "$phase" \
      "$(ratio "$(col ecr-mirror "$phase" 4)" "$(col skopeo "$phase" 4)")" \
      "$(ratio "$(col ecr-mirror "$phase" 5)" "$(col skopeo "$phase" 5)")" \
      "$(ratio "$(col ecr-mirror "$phase" 6)" "$(col skopeo "$phase" 6)")" \
      "$(ratio "$(col ecr-mirror "$phase" 7)" "$(col skopeo "$phase" 7)")" \
      "$(ratio "$(col ecr-mirror "$phase" 8)" "$(col skopeo "$phase" 8)")"
  done
  printf '| %sx4 entries, first copy | ecr-mirror | %s | %s | %s | %s | %s |\n' "$ENTRIES" "$(col ecr-mirror x4 4)" \
    "$(col ecr-mirror x4 5)" "$(awk -v k="$(col ecr-mirror x4 6)" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(col ecr-mirror x4 7)" "$(col ecr-mirror x4 8)"
  rss_big="$(awk -v k="$(col ecr-mirror x4 6)" 'BEGIN { printf "%.1f", k / 1024 }')"
  printf '\ntarget: peak RSS <= 32 MiB for %s entries: %s (%s MiB)\n' "$((ENTRIES * 4))" \
    "$(verdict "$rss_big" '<=' 32)" "$rss_big"
} | tee "$BENCH_TMP/many-report.txt"
[[ -z "${BENCH_REPORT:-}" ]] || cp "$BENCH_TMP/many-report.txt" "$BENCH_REPORT"
((BAD == 0)) || exit 1
