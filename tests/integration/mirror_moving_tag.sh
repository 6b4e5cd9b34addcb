#!/usr/bin/env bash
# The source tag moves while a copy is running: ecr-mirror must finish with the digest it resolved
# first (destination tags on the ORIGINAL image, byte-identical), never mixing in the new one.
# A proxy delays every blob download so the tag is re-pointed, deterministically, mid-copy.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/SLOW_* are exported by registry_start / proxy_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_moving_tag
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
proxy_start SLOW SRC --blob-delay 0.4
make_image "$TEST_TMP/original" --platforms linux/amd64,linux/arm64 --layers 4 \
  --layer-size $((8 * 1024 * 1024)) --seed 31 --tag 8.0
make_image "$TEST_TMP/newer" --platforms linux/amd64,linux/arm64 --layers 2 \
  --layer-size 65536 --seed 32 --tag next
seed_image "$TEST_TMP/original" SRC library/app:8.0
seed_image "$TEST_TMP/newer" SRC library/app:next
original="$(summary "$TEST_TMP/original" .index_digest)"
newer="$(summary "$TEST_TMP/newer" .index_digest)"
short="${original#sha256:}"
short="${short:0:12}"

# Start the copy in the background (through the slow proxy), as run_mirror would run it.
RUN_OUT="$TEST_TMP/moving.outputs"
RUN_STDERR="$TEST_TMP/moving.stderr"
RUN_STDOUT="$TEST_TMP/moving.stdout"
rc_file="$TEST_TMP/moving.rc"
: >"$RUN_OUT"
log "run moving (background): ecr-mirror --source $SLOW_ADDR/library/app:8.0 --concurrency 1"
# shellcheck disable=SC2016 # expanded by the inner bash
start_bg "$TEST_TMP/moving" env HOME="$TEST_TMP/home" RC_FILE="$rc_file" OUT_FILE="$RUN_STDOUT" \
  ERR_FILE="$RUN_STDERR" bash -c 'rc=0; "$@" >"$OUT_FILE" 2>"$ERR_FILE" || rc=$?; echo "$rc" >"$RC_FILE"' _ \
  "$ECRM_BIN" --source "$SLOW_ADDR/library/app:8.0" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SLOW_ADDR,$DST_ADDR" --concurrency 1 --output-file "$RUN_OUT"
program_pgid="$BG_PGID"

# shellcheck disable=SC2317 # called through wait_until
first_blob_requested() { grep -q 'START GET /v2/library/app/blobs/' "$SLOW_PROXY_LOG" || [[ -s "$rc_file" ]]; }
wait_until 60 first_blob_requested || fail "ecr-mirror fetched no blob within 60 s"
[[ -s "$rc_file" ]] && fail "ecr-mirror finished (exit $(cat "$rc_file")) before the tag could move: test cannot interleave"

# Re-point the source tag (directly, not through the proxy): all blobs are there, so it is quick.
skopeo copy --quiet --all --src-tls-verify=false --dest-tls-verify=false \
  "docker://$SRC_ADDR/library/app:next" "docker://$SRC_ADDR/library/app:8.0" >"$TEST_TMP/repoint.log" 2>&1 ||
  fail "re-pointing the source tag failed: $(cat "$TEST_TMP/repoint.log")"
assert_eq "$newer" "$(ref_digest "$SRC_ADDR/library/app:8.0")" "source tag after re-pointing"
[[ -s "$rc_file" ]] && fail "ecr-mirror finished before the re-point completed: the test did not interleave"
log "source tag moved while ecr-mirror was running"

wait_until 120 test -s "$rc_file" || fail "ecr-mirror did not finish within 120 s of the tag moving"
stop_pgid "$program_pgid"
RUN_RC="$(cat "$rc_file")"
log "run moving: exit $RUN_RC"

assert_rc 0 "copy while the source tag moves"
assert_eq "$original" "$(output_or_fail source-digest)" "source-digest (the digest first resolved)"
assert_eq "$original" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_same_set "8.0,8.0-$short" "$(output_or_fail tags-pushed)" "tags-pushed"
assert_eq "$original" "$(ref_digest "$DST_ADDR/mirror/app:8.0")" "destination tag 8.0"
assert_eq "$original" "$(ref_digest "$DST_ADDR/mirror/app:8.0-$short")" "destination tag 8.0-$short"
assert_same_image "$SRC_ADDR/library/app@$original" "$DST_ADDR/mirror/app:8.0"
while read -r child; do
  if skopeo_raw "$DST_ADDR/mirror/app@$child" >/dev/null 2>&1; then
    fail "a child of the newer image ($child) reached the destination"
  fi
done < <(summary "$TEST_TMP/newer" '.manifests[]')

pass
