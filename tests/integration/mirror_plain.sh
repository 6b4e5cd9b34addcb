#!/usr/bin/env bash
# Plain-HTTP registries, no auth: first copy, no-op re-run (HEADs only), one missing tag, dry run.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_plain
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 3 \
  --layer-size 262144 --seed 11 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0

digest="$(summary "$TEST_TMP/img" .index_digest)"
assert_eq "$digest" "$(ref_digest "$SRC_ADDR/library/app:1.0")" "source digest seen by skopeo"
short="${digest#sha256:}"
short="${short:0:12}"
common=(--source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/app"
  --insecure-registries "$SRC_ADDR,$DST_ADDR")

# 1. First copy.
run_mirror first "${common[@]}"
assert_rc 0 "first copy"
assert_eq true "$(output_or_fail changed)" "changed (first copy)"
assert_same_set "1.0,1.0-$short" "$(output_or_fail tags-pushed)" "tags-pushed (first copy)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_eq "$digest" "$(output_or_fail source-digest)" "source-digest"
assert_eq "$DST_ADDR/mirror/app@$digest" "$(output_or_fail image)" "image"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/mirror/app:1.0"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/mirror/app:1.0-$short"

# 2. No-op: one HEAD per destination tag, one HEAD on the source, nothing written.
registry_mark SRC
registry_mark DST
run_mirror noop "${common[@]}"
assert_rc 0 "no-op run"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (no-op)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest (no-op)"
assert_requests DST HEAD '/v2/mirror/app/manifests/.*' 2
assert_requests DST HEAD '/v2/mirror/app/manifests/1\.0' 1
assert_requests DST HEAD "/v2/mirror/app/manifests/1\\.0-$short" 1
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_requests DST GET '/v2/mirror/app/manifests/.*' 0
assert_requests SRC '[A-Z]+' '/v2/library/app/manifests/.*' 1
assert_requests SRC HEAD '/v2/library/app/manifests/1\.0' 1
assert_requests SRC GET '/v2/library/app/blobs/.*' 0
# Referrers (on by default): one probe of the referrers API (404 on distribution) and one tag
# listing, which shows no sha256-<hex> tag, so no child is listed and the index is not read.
assert_requests SRC GET '/v2/library/app/referrers/.*' 1 404
assert_requests SRC GET '/v2/library/app/tags/list.*' 1
# Everything on the wire, pings included: 1 + (number of tags) for registries without auth at
# the destination; the tag's HEAD and the two referrer reads at the source.
assert_requests SRC '[A-Z]+' '.*' 3
assert_requests DST '[A-Z]+' '.*' 2

# 3. One tag missing: only that tag is pushed, no blob is uploaded.
registry_mark DST
run_mirror extra "${common[@]}" --tags '{tag},{tag}-{digest12},extra'
assert_rc 0 "run with an extra tag"
assert_eq "extra" "$(output_or_fail tags-pushed)" "tags-pushed (extra tag)"
assert_eq true "$(output_or_fail changed)" "changed (extra tag)"
assert_requests DST POST '/v2/mirror/app/blobs/uploads/.*' 0
assert_requests DST PATCH '.*' 0
assert_requests DST PUT '/v2/mirror/app/manifests/extra' 1
assert_requests DST PUT '/v2/mirror/app/manifests/(1\.0|1\.0-[0-9a-f]{12})' 0
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/mirror/app:extra"

# 4. Dry run with a new tag: exit 0, nothing written.
registry_mark DST
run_mirror dry "${common[@]}" --tags '{tag},dry-run-tag' --dry-run
assert_rc 0 "dry run"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
if skopeo_raw "$DST_ADDR/mirror/app:dry-run-tag" >/dev/null 2>&1; then
  fail "dry run pushed the tag dry-run-tag"
fi

pass
