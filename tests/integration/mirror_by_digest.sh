#!/usr/bin/env bash
# Source given as repo@sha256:…: works with digest-only tag templates; the default templates need
# {tag}, which such a source lacks, so that is bad input (exit 2) found before any network work.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_by_digest
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 2 \
  --layer-size 131072 --seed 16 --tag 6.0
seed_image "$TEST_TMP/img" SRC library/app:6.0
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"

# 1. By digest with a digest-only template.
run_mirror pinned --source "$SRC_ADDR/library/app@$digest" --destination "$DST_ADDR/mirror/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --tags 'pinned-{digest12}'
assert_rc 0 "mirror by digest"
assert_eq "pinned-$short" "$(output_or_fail tags-pushed)" "tags-pushed"
assert_eq true "$(output_or_fail changed)" "changed"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_eq "$digest" "$(output_or_fail source-digest)" "source-digest"
assert_eq "$DST_ADDR/mirror/app@$digest" "$(output_or_fail image)" "image"
assert_same_image "$SRC_ADDR/library/app@$digest" "$DST_ADDR/mirror/app:pinned-$short"

# 2. By digest with the default templates ({tag}, {tag}-{digest12}): exit 2, no request sent.
registry_mark SRC
registry_mark DST
run_mirror default-tags --source "$SRC_ADDR/library/app@$digest" --destination "$DST_ADDR/mirror/other" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR"
assert_rc 2 "default tag templates with a digest source"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "{tag}" "message for a digest source with {tag} templates"
assert_requests SRC '[A-Z]+' '.*' 0
assert_requests DST '[A-Z]+' '.*' 0

# 3. Same with an explicit {tag} template.
run_mirror explicit-tag --source "$SRC_ADDR/library/app@$digest" --destination "$DST_ADDR/mirror/other" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --tags 'v-{tag}'
assert_rc 2 "{tag} template with a digest source"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "v-{tag}" "message names the template"
assert_requests DST '[A-Z]+' '.*' 0

pass
