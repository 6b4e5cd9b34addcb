#!/usr/bin/env bash
# Basic-auth registries on both sides, a Docker-format image (manifest list + v2 manifests):
# credentials by flags, then by --docker-config; a wrong password fails naming the registry.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_basic
require_tools docker-registry skopeo jq curl htpasswd
require_ecrm_bin

registry_start SRC basic
registry_start DST basic
make_image "$TEST_TMP/img" --format docker --platforms linux/amd64,linux/arm64 --layers 3 \
  --layer-size 262144 --seed 12 --tag 2.1
seed_image "$TEST_TMP/img" SRC library/app:2.1
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"
insecure=(--insecure-registries "$SRC_ADDR,$DST_ADDR")

# No secret may appear in anything ecr-mirror prints or writes.
assert_no_secrets() {
  local file
  for file in "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT"; do
    [[ -f "$file" ]] || continue
    assert_file_not_contains "$file" "$SRC_PASS" "$(basename "$file") (source password)"
    assert_file_not_contains "$file" "$DST_PASS" "$(basename "$file") (destination password)"
    assert_file_not_contains "$file" "wrong-$DST_PASS" "$(basename "$file") (wrong password)"
  done
}

# 1. Credentials as flags.
run_mirror flags --source "$SRC_ADDR/library/app:2.1" --destination "$DST_ADDR/mirror/app" "${insecure[@]}" \
  --source-username "$SRC_USER" --source-password "$SRC_PASS" \
  --destination-username "$DST_USER" --destination-password "$DST_PASS"
assert_rc 0 "copy with credential flags"
assert_no_secrets
assert_eq true "$(output_or_fail changed)" "changed"
assert_same_set "2.1,2.1-$short" "$(output_or_fail tags-pushed)" "tags-pushed"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/mirror/app:2.1" "$SRC_CREDS" "$DST_CREDS"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/mirror/app:2.1-$short" "$SRC_CREDS" "$DST_CREDS"
media_type="$(skopeo_raw "$DST_ADDR/mirror/app:2.1" "$DST_CREDS" | jq -r .mediaType)"
assert_eq application/vnd.docker.distribution.manifest.list.v2+json "$media_type" "destination media type"

# 2. Credentials from a Docker config.json (auths entries hold base64 user:password).
config="$TEST_TMP/docker-config/config.json"
mkdir -p "$(dirname "$config")"
jq -n --arg s "$SRC_ADDR" --arg sa "$(printf '%s' "$SRC_CREDS" | base64 -w0)" \
  --arg d "$DST_ADDR" --arg da "$(printf '%s' "$DST_CREDS" | base64 -w0)" \
  '{auths: {($s): {auth: $sa}, ($d): {auth: $da}}}' >"$config"
run_mirror config --source "$SRC_ADDR/library/app:2.1" --destination "$DST_ADDR/mirror/from-config" \
  "${insecure[@]}" --docker-config "$config"
assert_rc 0 "copy with --docker-config"
assert_no_secrets
assert_eq true "$(output_or_fail changed)" "changed (docker config)"
assert_same_image "$SRC_ADDR/library/app:2.1" "$DST_ADDR/mirror/from-config:2.1" "$SRC_CREDS" "$DST_CREDS"

# 3. Wrong destination password: exit 1, the message names the registry, no secret leaks.
registry_mark DST
run_mirror wrong-dst --source "$SRC_ADDR/library/app:2.1" --destination "$DST_ADDR/mirror/denied" "${insecure[@]}" \
  --source-username "$SRC_USER" --source-password "$SRC_PASS" \
  --destination-username "$DST_USER" --destination-password "wrong-$DST_PASS"
assert_rc 1 "wrong destination password"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$DST_ADDR" "message for a wrong destination password"
assert_no_secrets
assert_requests DST 'PUT' '/v2/mirror/denied/manifests/.*' 0 '2[0-9][0-9]'

# 4. Wrong source password: exit 1 naming the source registry.
run_mirror wrong-src --source "$SRC_ADDR/library/app:2.1" --destination "$DST_ADDR/mirror/denied" "${insecure[@]}" \
  --source-username "$SRC_USER" --source-password "wrong-$DST_PASS" \
  --destination-username "$DST_USER" --destination-password "$DST_PASS"
assert_rc 1 "wrong source password"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$SRC_ADDR" "message for a wrong source password"
assert_no_secrets

pass
