#!/usr/bin/env bash
# Token-auth registries (Docker token flow, RS256 on one side, ES256 on the other): first copy,
# no-op, cross-repository blob mounts within one registry (the mount challenge asks for two
# scopes at once), anonymous pull where the token server allows it and a refusal where not.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init mirror_token
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC token --alg RS256 --anonymous-pull
registry_start DST token --alg ES256
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 3 \
  --layer-size 262144 --seed 13 --tag 3.0
seed_image "$TEST_TMP/img" SRC library/app:3.0
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"
blob_count="$(summary "$TEST_TMP/img" '.blobs | length')"

cross=(--source "$SRC_ADDR/library/app:3.0" --destination "$DST_ADDR/mirror/app"
  --insecure-registries "$SRC_ADDR,$DST_ADDR"
  --source-username "$SRC_USER" --source-password "$SRC_PASS"
  --destination-username "$DST_USER" --destination-password "$DST_PASS")

assert_no_secrets() {
  local file
  for file in "$RUN_STDOUT" "$RUN_STDERR" "$RUN_OUT" "$SRC_TOKEN_LOG" "$DST_TOKEN_LOG"; do
    [[ -f "$file" ]] || continue
    assert_file_not_contains "$file" "$SRC_PASS" "$(basename "$file") (source password)"
    assert_file_not_contains "$file" "$DST_PASS" "$(basename "$file") (destination password)"
  done
}

# 1. First copy between two token-auth registries.
run_mirror first "${cross[@]}"
assert_rc 0 "first copy"
assert_no_secrets
assert_eq true "$(output_or_fail changed)" "changed (first copy)"
assert_same_set "3.0,3.0-$short" "$(output_or_fail tags-pushed)" "tags-pushed (first copy)"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
assert_same_image "$SRC_ADDR/library/app:3.0" "$DST_ADDR/mirror/app:3.0" "$SRC_CREDS" "$DST_CREDS"
assert_same_image "$SRC_ADDR/library/app:3.0" "$DST_ADDR/mirror/app:3.0-$short" "$SRC_CREDS" "$DST_CREDS"
grep -q "user=$DST_USER .*granted=mirror/app:[a-z,]*push" "$DST_TOKEN_LOG" ||
  fail "the destination token server never granted push on mirror/app: $(tail -n 5 "$DST_TOKEN_LOG")"

# 2. No-op: nothing written, nothing uploaded.
registry_mark SRC
registry_mark DST
src_tokens_before="$(wc -l <"$SRC_TOKEN_LOG")"
run_mirror noop "${cross[@]}"
assert_rc 0 "no-op run"
# The source's HEAD and its tag listing go out at once, each on its own connection, before either
# knows the scheme: both may meet the 401 (one request more, for a round trip less where a source
# needs no token, as MCR's). The token is fetched once and shared; the referrers GET, sent after
# the HEAD, already carries it.
unauthorised="$(count_requests SRC 'GET|HEAD' '/v2/library/app/.*' '401')"
((unauthorised >= 1 && unauthorised <= 2)) ||
  fail "the source answered $unauthorised requests of the no-op with 401; expected 1 or 2 (the HEAD and the listing)"
assert_eq 1 "$(($(wc -l <"$SRC_TOKEN_LOG") - src_tokens_before))" "source tokens issued (no-op)"
assert_requests SRC GET '/v2/library/app/referrers/.*' 0 '401'

assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (no-op)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_requests DST HEAD '/v2/mirror/app/manifests/.*' 2 '200'
assert_requests SRC GET '/v2/library/app/(manifests|blobs)/.*' 0 '200'

# 3. Cross-repository mounts: source and both destinations live on DST.
seed_image "$TEST_TMP/img" DST upstream/app:3.0
same=(--insecure-registries "$DST_ADDR"
  --source-username "$DST_USER" --source-password "$DST_PASS"
  --destination-username "$DST_USER" --destination-password "$DST_PASS")
run_mirror repo-a --source "$DST_ADDR/upstream/app:3.0" --destination "$DST_ADDR/mirror-a/app" "${same[@]}"
assert_rc 0 "mirror to repo A"
assert_same_image "$DST_ADDR/upstream/app:3.0" "$DST_ADDR/mirror-a/app:3.0" "$DST_CREDS" "$DST_CREDS"

registry_mark DST
run_mirror repo-b --source "$DST_ADDR/upstream/app:3.0" --destination "$DST_ADDR/mirror-b/app" "${same[@]}"
assert_rc 0 "mirror to repo B"
assert_no_secrets
assert_same_image "$DST_ADDR/upstream/app:3.0" "$DST_ADDR/mirror-b/app:3.0" "$DST_CREDS" "$DST_CREDS"
if [[ -z "$(personality)" ]]; then
  # Every blob arrives by mount (201 Created), none by upload.
  assert_requests DST POST '/v2/mirror-b/app/blobs/uploads/\?(.*&)?mount=sha256(:|%3[Aa])[0-9a-f]{64}(&.*)?' "$blob_count" 201
  assert_requests DST PATCH '/v2/mirror-b/app/blobs/uploads/.*' 0
  assert_requests DST PUT '/v2/mirror-b/app/blobs/uploads/.*' 0
  assert_requests DST POST '/v2/mirror-b/app/blobs/uploads/' 0
else
  # ECR answers a mount with an upload session (202): each blob is tried once by mount, then
  # uploaded into that very session by one PUT, never by PATCH.
  assert_requests DST POST '/v2/mirror-b/app/blobs/uploads/\?(.*&)?mount=sha256(:|%3[Aa])[0-9a-f]{64}(&.*)?' "$blob_count" 202
  assert_requests DST PATCH '/v2/mirror-b/app/blobs/uploads/.*' 0
  assert_requests DST PUT '/v2/mirror-b/app/blobs/uploads/.*digest=.*' "$blob_count" 201
fi

# 4. Anonymous pull: SRC's token server grants pull without credentials (like a public registry).
run_mirror anonymous --source "$SRC_ADDR/library/app:3.0" --destination "$DST_ADDR/mirror/anonymous" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --destination-username "$DST_USER" --destination-password "$DST_PASS"
assert_rc 0 "copy from an anonymous-pull source"
assert_same_image "$SRC_ADDR/library/app:3.0" "$DST_ADDR/mirror/anonymous:3.0" "$SRC_CREDS" "$DST_CREDS"
grep -q 'user=- .*granted=library/app:pull$' "$SRC_TOKEN_LOG" ||
  fail "no anonymous token was issued for library/app: $(tail -n 5 "$SRC_TOKEN_LOG")"

# 5. DST's token server refuses anonymous requests: exit 1 naming the registry.
run_mirror refused --source "$DST_ADDR/upstream/app:3.0" --destination "$DST_ADDR/mirror/refused" \
  --insecure-registries "$DST_ADDR"
assert_rc 1 "anonymous pull where the token server requires credentials"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$DST_ADDR" "message for refused credentials"
assert_no_secrets

pass
