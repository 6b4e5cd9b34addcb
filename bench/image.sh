#!/usr/bin/env bash
# bench/image.sh: what a job that uses the action waits for before ecr-mirror starts — a cold
# build of the Dockerfile (no layer cache; the base image already present, as on a runner) and
# the size the final image adds to its base — measured by the container suite itself
# (tests/container/run.sh, ECRM_CONTAINER_REPORT) on a fresh podman store.
#   BENCH_IMAGE_ROUNDS=1   cold builds to take the median of
# Needs root, podman, runc, debootstrap (the base tarball is reused from the container suite's
# cache, /var/cache/ecr-mirror-test, when it has one).
set -euo pipefail
BENCH_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$BENCH_SRC")"
ROUNDS="${BENCH_IMAGE_ROUNDS:-1}"
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || { echo "BENCH_IMAGE_ROUNDS must be 1-99" >&2; exit 2; }
shared=/var/cache/ecr-mirror-test
work="$(mktemp -d /var/tmp/ecrm-bench-image.XXXXXX)"
# podman leaves its overlay mounts behind under the store; unmount them before removing it.
cleanup() {
  findmnt -rn -o TARGET | grep -F "$work/" | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

builds=() sizes=()
for ((round = 1; round <= ROUNDS; round++)); do
  cache="$work/cache-$round"
  mkdir -p "$cache"
  # The base tarball, not the store: debootstrap is not part of a build.
  for tarball in "$shared"/debian-bookworm-slim-*.tar; do
    [[ -f "$tarball" ]] && ln "$tarball" "$cache/" 2>/dev/null || cp "$tarball" "$cache/" 2>/dev/null || true
  done
  report="$work/report-$round"
  if ! ECRM_CONTAINER_CACHE="$cache" ECRM_CONTAINER_REPORT="$report" \
    bash "$REPO_ROOT/tests/container/run.sh" >"$work/run-$round.log" 2>&1; then
    echo "bench/image.sh: the container suite failed (round $round):" >&2
    tail -n 20 "$work/run-$round.log" >&2
    exit 1
  fi
  # shellcheck disable=SC1090
  source "$report"
  builds+=("$build_seconds")
  sizes+=("$((image_size_bytes - base_size_bytes))")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
build="$(median "${builds[@]}")"
added="$(median "${sizes[@]}")"
printf '%-46s %10s %10s %s\n' "container image" "measured" "target" "status"
printf '%-46s %9ss %9ss %s\n' "cold Dockerfile build (median of $ROUNDS)" "$build" 60 "$( ((build <= 60)) && echo MET || echo 'NOT MET')"
printf '%-46s %8.1fMB %8sMB %s\n' "final image's own layers (above the base)" "$(awk -v b="$added" 'BEGIN { print b / 1e6 }')" 15 \
  "$( ((added <= 15000000)) && echo MET || echo 'NOT MET')"
