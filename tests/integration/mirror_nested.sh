#!/usr/bin/env bash
# An index whose children include another index (allowed by the OCI image spec): every level is
# copied byte-identically, children before parents; a re-run is a no-op.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_nested
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --nested --layers 2 \
  --layer-size 131072 --seed 17 --tag 7.0
seed_image "$TEST_TMP/img" SRC library/app:7.0
digest="$(summary "$TEST_TMP/img" .index_digest)"
inner="$(summary "$TEST_TMP/img" '.children[] | select(.kind == "index") | .digest')"

run_mirror first --source "$SRC_ADDR/library/app:7.0" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR"
assert_rc 0 "mirror of a nested index"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_same_image "$SRC_ADDR/library/app:7.0" "$DST_ADDR/mirror/app:7.0"
assert_same_manifest "$SRC_ADDR/library/app" "$DST_ADDR/mirror/app" "$inner"

registry_mark DST
run_mirror noop --source "$SRC_ADDR/library/app:7.0" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR"
assert_rc 0 "re-run"
assert_eq false "$(output_or_fail changed)" "changed (re-run)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0

pass
