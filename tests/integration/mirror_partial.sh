#!/usr/bin/env bash
# The destination repository already holds part of the image's blobs (an older single-platform
# push of the same build): only the missing blobs are uploaded, and the result is byte-identical.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_partial
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
# Same seed: make_image derives each layer from (seed, platform, layer), so the amd64 blobs of
# both images are the same blobs.
make_image "$TEST_TMP/full" --platforms linux/amd64,linux/arm64,linux/arm/v7 --attestation --layers 3 \
  --layer-size 262144 --seed 14 --tag 4.0
make_image "$TEST_TMP/part" --platforms linux/amd64 --attestation --layers 3 \
  --layer-size 262144 --seed 14 --tag old
seed_image "$TEST_TMP/full" SRC library/app:4.0
seed_image "$TEST_TMP/part" DST mirror/app:old

present="$(summary "$TEST_TMP/part" '.blobs[]' | sort -u)"
missing="$(comm -23 <(summary "$TEST_TMP/full" '.blobs[]' | sort -u) <(printf '%s\n' "$present"))"
missing_count="$(grep -c . <<<"$missing")"
shared_count="$(comm -12 <(summary "$TEST_TMP/full" '.blobs[]' | sort -u) <(printf '%s\n' "$present") | grep -c .)"
# The fixture must really share blobs, or this suite proves nothing.
((shared_count >= 4)) || fail "fixture: only $shared_count blobs shared between the images"
((missing_count >= 8)) || fail "fixture: only $missing_count blobs missing at the destination"
log "$shared_count blobs already at the destination, $missing_count missing"

registry_mark SRC
registry_mark DST
# Four workers for 18 blobs, so that HEADs going on after the first useless one would show.
run_mirror partial --source "$SRC_ADDR/library/app:4.0" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --concurrency 4
assert_rc 0 "mirror onto a partly filled repository"
assert_eq true "$(output_or_fail changed)" "changed"
assert_same_image "$SRC_ADDR/library/app:4.0" "$DST_ADDR/mirror/app:4.0"

all_blobs="$(summary "$TEST_TMP/full" '.blobs[]' | sort -u)"
if [[ -z "$(personality)" ]]; then
  # One upload session per missing blob; none for a blob the repository already has.
  assert_requests DST POST '/v2/mirror/app/blobs/uploads/(\?.*)?' "$missing_count"
  while read -r blob; do
    [[ -n "$blob" ]] || continue
    assert_requests DST 'POST|PUT|PATCH' "/v2/mirror/app/blobs/uploads/.*${blob#sha256:}.*" 0
    assert_requests SRC GET "/v2/library/app/blobs/$blob" 0
  done <<<"$present"
  while read -r blob; do
    assert_requests SRC GET "/v2/library/app/blobs/$blob" 1 200
  done <<<"$missing"
else
  # Behind ECR a blob HEAD tells nothing (ECR Public answers 401; ECR redirects it to a store
  # that refuses HEAD), so every blob is uploaded, each committed by exactly one PUT, the
  # present ones too (uploads are idempotent). ecr-mirror stops asking after the first answer:
  # at most one HEAD per worker in flight then.
  while read -r blob; do
    assert_requests DST PUT "/v2/mirror/app/blobs/uploads/[^?]*\\?(.*&)?digest=sha256(:|%3[Aa])${blob#sha256:}(&.*)?" 1 201
  done <<<"$all_blobs"
  # (4 workers, all asking at once; a throttled HEAD is asked again.)
  throttled_heads="$(ecr_count DST '.method == "HEAD" and .switch == "throttle" and (.path | test("/blobs/")) and (.judge | not)')"
  (($(count_requests DST HEAD '/v2/mirror/app/blobs/.*') <= 4 + throttled_heads)) ||
    fail "blob HEADs went on after the registry showed they say nothing: $(count_requests DST HEAD '/v2/mirror/app/blobs/.*')"
  # Each blob is read from the source once, and again for each upload the registry refused
  # midway (throttled commits: a streamed body cannot be replayed).
  restarts="$(ecr_count DST '.at == "proxy" and .method == "PUT" and (.path | test("/blobs/uploads/")) and .status != 201')"
  assert_eq "$(($(grep -c . <<<"$all_blobs") + restarts))" "$(count_requests SRC GET '/v2/library/app/blobs/.*' 200)" \
    "source blob reads (one per blob, plus $restarts restarted uploads)"
fi
pass
