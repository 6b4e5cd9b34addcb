#!/usr/bin/env bash
# --platforms linux/amd64: the destination index keeps only the amd64 child and its attestation,
# so it has a new digest; the kept children stay byte-identical.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_filter
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64,linux/arm/v7 --attestation --layers 3 \
  --layer-size 262144 --seed 15 --tag 5.0
seed_image "$TEST_TMP/img" SRC library/app:5.0
source_digest="$(summary "$TEST_TMP/img" .index_digest)"
# child KIND PLATFORM: the digest make_image gave that child.
child() {
  jq -r --arg k "$1" --arg p "$2" '.children[] | select(.kind == $k and .platform == $p) | .digest' \
    "$TEST_TMP/img/summary.json"
}
amd64="$(child image linux/amd64)"
amd64_att="$(child attestation linux/amd64)"
arm64="$(child image linux/arm64)"

registry_mark DST
run_mirror filter --source "$SRC_ADDR/library/app:5.0" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --platforms linux/amd64
assert_rc 0 "mirror with --platforms linux/amd64"

raw="$TEST_TMP/dst-index.json"
skopeo_raw "$DST_ADDR/mirror/app:5.0" >"$raw" || fail "destination tag 5.0 missing"
dst_digest="$(sha256_digest <"$raw")"
assert_ne "$source_digest" "$dst_digest" "filtered index digest"
assert_eq "$dst_digest" "$(output_or_fail mirrored-digest)" "mirrored-digest (the new index)"
assert_eq "$source_digest" "$(output_or_fail source-digest)" "source-digest (the original index)"
assert_eq "$DST_ADDR/mirror/app@$dst_digest" "$(output_or_fail image)" "image"
short="${dst_digest#sha256:}"
short="${short:0:12}"
assert_same_set "5.0,5.0-$short" "$(output_or_fail tags-pushed)" \
  "tags-pushed ({digest12} is the mirrored digest)"
assert_eq "$dst_digest" "$(ref_digest "$DST_ADDR/mirror/app:5.0-$short")" "digest behind 5.0-$short"

# Exactly the amd64 image and the attestation that refers to it, in the source's media type.
assert_eq "$(summary "$TEST_TMP/img" .index_media_type)" "$(jq -r .mediaType "$raw")" "index media type"
assert_eq 2 "$(jq '.manifests | length' "$raw")" "number of children in the filtered index"
kept_image="$(jq -r '.manifests[] | select(.platform == {architecture: "amd64", os: "linux"}) | .digest' "$raw")"
assert_eq "$amd64" "$kept_image" "amd64 child"
kept_attestation="$(jq -r --arg d "$amd64" \
  '.manifests[] | select(.annotations["vnd.docker.reference.digest"] == $d) | .digest' "$raw")"
assert_eq "$amd64_att" "$kept_attestation" "attestation of the amd64 child"
# The kept descriptors are copied verbatim from the source index.
expected_descriptors="$(skopeo_raw "$SRC_ADDR/library/app:5.0" |
  jq -S -c --arg a "$amd64" --arg b "$amd64_att" '[.manifests[] | select(.digest == $a or .digest == $b)]')"
assert_eq "$expected_descriptors" "$(jq -S -c '.manifests' "$raw")" "descriptors of the kept children"

assert_same_manifest "$SRC_ADDR/library/app" "$DST_ADDR/mirror/app" "$amd64"
assert_same_manifest "$SRC_ADDR/library/app" "$DST_ADDR/mirror/app" "$amd64_att"
if skopeo_raw "$DST_ADDR/mirror/app@$arm64" >/dev/null 2>&1; then
  fail "the arm64 child was pushed although --platforms linux/amd64"
fi
# Blobs of the dropped platforms stay behind.
while read -r blob; do
  assert_requests DST 'POST|PUT|PATCH' "/v2/mirror/app/blobs/uploads/.*${blob#sha256:}.*" 0
done < <(summary "$TEST_TMP/img" '.blobs[]' | sort -u | comm -23 - <(
  for child in "$amd64" "$amd64_att"; do
    jq -r '.config.digest, .layers[].digest' "$TEST_TMP/img/blobs/sha256/${child#sha256:}"
  done | sort -u))

pass
