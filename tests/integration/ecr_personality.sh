#!/usr/bin/env bash
# The ECR personality itself (tests/lib/ecr_proxy.py), switch by switch, checked with curl against
# a real docker-registry: each answers the way its public record (ecrproxy/switches.py) says ECR
# does, and only when switched on. The suites that run ecr-mirror through it rely on this.
# shellcheck disable=SC2153,SC2154 # DST_* are exported by registry_start / ecr_personality_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
unset ECRM_PERSONALITY
suite_init ecr_personality
require_tools docker-registry skopeo jq curl

registry_start DST basic
make_image "$TEST_TMP/img" --platforms linux/amd64 --layers 2 --layer-size 70000 --seed 61 --tag 1.0
seed_image "$TEST_TMP/img" DST mirror/app:1.0
ecr_personality_start DST ecr-public --no-switch throttle
E="http://$DST_ADDR"
C=(-s --max-time 10 -u "$DST_CREDS")
layer="$(summary "$TEST_TMP/img" '.blobs[1]')"

# status_of ARGS...: the HTTP status curl got.
status_of() { curl "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
# headers_of ARGS...: the response headers, lower-cased names.
headers_of() { curl "${C[@]}" -D - -o "$TEST_TMP/body" "$@" | tr -d '\r' | sed -E 's/^([^:]+):/\L\1:/'; }
upload_session() {
  headers_of -X POST "$E/v2/mirror/app/blobs/uploads/" | sed -n 's/^location: //p'
}
# last_switch: the switch the personality's last logged answer names.
last_switch() { tail -n 1 "$DST_ECR_LOG" | jq -r '.switch // "none"'; }

# ---------------------------------------------------------------- blob-head-401
assert_eq 401 "$(status_of -I "$E/v2/mirror/app/blobs/$layer")" "blob HEAD with valid credentials (blob-head-401)"
assert_eq blob-head-401 "$(last_switch)" "switch named in the log"
assert_eq 200 "$(status_of -o /dev/null "$E/v2/mirror/app/blobs/$layer")" "blob GET still works"

# ---------------------------------------------------------------- patch-201 and multi-patch-invalid
head -c 3000 /dev/urandom >"$TEST_TMP/part1"
head -c 2000 /dev/urandom >"$TEST_TMP/part2"
cat "$TEST_TMP/part1" "$TEST_TMP/part2" >"$TEST_TMP/whole"
whole_digest="$(sha256_digest <"$TEST_TMP/whole")"
location="$(upload_session)"
[[ -n "$location" ]] || fail "POST opened no upload session"
first="$(headers_of -X PATCH -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/part1" "$location")"
assert_contains "$first" "HTTP/1.1 201" "first PATCH answers 201 (patch-201)"
assert_contains "$first" "range: 0-2999" "first PATCH: Range advances"
next="$(sed -n 's/^location: //p' <<<"$first")"
second="$(headers_of -X PATCH -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/part2" "$next")"
assert_contains "$second" "HTTP/1.1 201" "second PATCH answers 201"
assert_contains "$second" "range: 0-2999" "second PATCH: Range does not advance (aws/containers-roadmap#2831)"
next="$(sed -n 's/^location: //p' <<<"$second")"
put_status="$(curl "${C[@]}" -o "$TEST_TMP/put-body" -w '%{http_code}' -X PUT "$next&digest=$whole_digest")"
assert_eq 400 "$put_status" "final PUT of a multi-PATCH upload (multi-patch-invalid)"
assert_contains "$(cat "$TEST_TMP/put-body")" BLOB_UPLOAD_INVALID "its error code"

# A monolithic upload (POST, PUT with the body) goes through.
location="$(upload_session)"
assert_eq 201 "$(status_of -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$TEST_TMP/whole" "$location&digest=$whole_digest")" \
  "monolithic PUT"
assert_eq 200 "$(status_of -o /dev/null "$E/v2/mirror/app/blobs/$whole_digest")" "the monolithic blob is there"

# ---------------------------------------------------------------- chunked-stall
location="$(upload_session)"
rc=0
curl "${C[@]}" --max-time 2 -o /dev/null -X PUT -H 'Transfer-Encoding: chunked' \
  --data-binary "@$TEST_TMP/whole" "$location&digest=$whole_digest" || rc=$?
assert_eq 28 "$rc" "a chunked request body gets no answer (curl's time-out, chunked-stall)"
# The personality logs a request when it is over: a stall ends when it sees curl's close, up to
# 0.2 s after curl gave up (proxykit.stall polls), so the line may not be written yet.
last_switch_is() { [[ "$(last_switch)" == "$1" ]]; }
wait_until 5 last_switch_is chunked-stall || true
assert_eq chunked-stall "$(last_switch)" "switch named in the log"

# ---------------------------------------------------------------- empty-blob
empty="sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
location="$(upload_session)"
assert_eq 400 "$(status_of -X PUT "$location&digest=$empty")" "completing a 0-byte blob (empty-blob)"
assert_eq empty-blob "$(last_switch)" "switch named in the log"

# ---------------------------------------------------------------- mount-202
mount="$(headers_of -X POST "$E/v2/mirror/other/blobs/uploads/?mount=$layer&from=mirror/app")"
assert_contains "$mount" "HTTP/1.1 202" "a mount request opens an upload (mount-202)"
assert_contains "$mount" "location: " "with a Location"
assert_eq 404 "$(status_of -o /dev/null -I "http://$DST_REGISTRY_ADDR/v2/mirror/other/blobs/$layer")" \
  "nothing was mounted in the registry"

# ---------------------------------------------------------------- manifest-get-no-digest
get="$(headers_of "$E/v2/mirror/app/manifests/1.0" -H "Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json")"
[[ "$get" != *"docker-content-digest:"* ]] || fail "manifest GET still carries Docker-Content-Digest"
assert_contains "$get" "transfer-encoding: chunked" "manifest GET body is chunked"
[[ "$get" != *"content-length:"* ]] || fail "manifest GET still has a Content-Length"
head_out="$(headers_of -I "$E/v2/mirror/app/manifests/1.0" -H "Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json")"
assert_contains "$head_out" "docker-content-digest: $(summary "$TEST_TMP/img" .index_digest)" "manifest HEAD keeps the digest"

# ---------------------------------------------------------------- unsupported-manifest
ecr_config DST '{"max_layers": 1}'
manifest="$(curl "${C[@]}" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$DST_REGISTRY_ADDR/v2/mirror/app/manifests/$(summary "$TEST_TMP/img" '.manifests[0]')")"
printf '%s' "$manifest" >"$TEST_TMP/manifest.json"
assert_eq 405 "$(status_of -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$TEST_TMP/manifest.json" "$E/v2/mirror/app/manifests/two-layers")" "2 layers over a limit of 1 (unsupported-manifest)"
assert_contains "$(curl "${C[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$TEST_TMP/manifest.json" "$E/v2/mirror/app/manifests/two-layers")" "Limit on number of layers per image exceeded" "its message"
assert_eq 405 "$(status_of -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary '{not json' "$E/v2/mirror/app/manifests/broken")" "an unparseable manifest"
ecr_config DST '{}'
assert_eq 201 "$(status_of -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$TEST_TMP/manifest.json" "$E/v2/mirror/app/manifests/two-layers")" "within the default limit of 500"

# ---------------------------------------------------------------- immutable-tags
ecr_config DST '{"switches_on": ["immutable-tags"], "immutable_exclusions": ["roll*"]}'
put_manifest() { status_of -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$TEST_TMP/manifest.json" "$E/v2/mirror/app/manifests/$1"; }
assert_eq 201 "$(put_manifest fresh)" "a new tag in an immutable repository"
assert_eq 400 "$(put_manifest fresh)" "the same tag again, same digest (immutable-tags)"
assert_contains "$(curl "${C[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$TEST_TMP/manifest.json" "$E/v2/mirror/app/manifests/fresh")" \
  "TAG_INVALID" "its error code"
assert_eq 201 "$(put_manifest rolling)" "an excluded tag, created"
assert_eq 201 "$(put_manifest rolling)" "an excluded tag, moved again"
ecr_config DST '{}'

# ---------------------------------------------------------------- throttle
ecr_config DST '{"switches_on": ["throttle"], "throttle_every": 2}'
statuses="$(for _ in 1 2 3 4; do status_of -I "http://$DST_ADDR/v2/mirror/app/manifests/1.0"; echo; done | sort | uniq -c | tr -s ' ' | paste -sd' ')"
assert_contains "$statuses" "2 429" "every 2nd request throttled: $statuses"
throttled="$(headers_of -I "http://$DST_ADDR/v2/mirror/app/manifests/1.0"; headers_of -I "http://$DST_ADDR/v2/mirror/app/manifests/1.0")"
assert_contains "$throttled" "HTTP/1.1 429" "a throttled answer"
[[ "$throttled" != *"retry-after:"* ]] || fail "a throttled answer carries Retry-After"
ecr_config DST '{}'

# ---------------------------------------------------------------- name-unknown
printf 'mirror/app\n' >"$TEST_TMP/repositories"
ecr_config DST "{\"switches_on\": [\"name-unknown\"], \"repositories_file\": \"$TEST_TMP/repositories\"}"
assert_eq 404 "$(status_of -X POST "$E/v2/mirror/missing/blobs/uploads/")" "push to a missing repository (name-unknown)"
assert_contains "$(curl "${C[@]}" -X POST "$E/v2/mirror/missing/blobs/uploads/")" NAME_UNKNOWN "its error code"
assert_eq 200 "$(status_of -I "$E/v2/mirror/app/manifests/1.0" -H "Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json")" "a listed repository"
ecr_config DST '{}'

# ---------------------------------------------------------------- credential lifetime, expired-400
ecr_config DST '{"credential_lifetime": 1}'
assert_eq 200 "$(status_of -I "$E/v2/mirror/app/manifests/1.0" -H "Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json")" "fresh credentials"
sleep 1.3
expired="$(curl "${C[@]}" -D - -I "$E/v2/mirror/app/manifests/1.0" | tr -d '\r')"
assert_contains "$expired" "HTTP/1.1 400" "expired credentials answer 400"
[[ "${expired,,}" != *"www-authenticate:"* ]] || fail "the expired answer carries a challenge"
ecr_config DST '{}'
# expired-400 proper: the registry's own 401 to bad credentials becomes 400 DENIED, no challenge.
denied="$(curl -s --max-time 10 -u "wrong:wrong" -D - "$E/v2/mirror/app/manifests/1.0" | tr -d '\r')"
assert_contains "$denied" "HTTP/1.1 400" "a 401 to credentials that were sent becomes 400 (expired-400)"
assert_contains "$denied" '"DENIED"' "with the code DENIED"
[[ "${denied,,}" != *"www-authenticate:"* ]] || fail "the DENIED answer carries a challenge"
assert_eq 401 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$E/v2/mirror/app/manifests/1.0")" \
  "an anonymous request still gets the registry's 401"

# ---------------------------------------------------------------- blob-redirect-403 (the ecr preset)
ecr_personality_start DST ecr --no-switch throttle
E="http://$DST_ADDR"
redirect="$(headers_of -I "$E/v2/mirror/app/blobs/$layer")"
assert_contains "$redirect" "HTTP/1.1 307" "blob HEAD redirects (blob-redirect-403)"
store_url="$(sed -n 's/^location: //p' <<<"$redirect")"
[[ "$store_url" == "http://$DST_STORE_ADDR/"* ]] || fail "the redirect does not go to the object store: $store_url"
assert_eq 403 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -I "$store_url")" "HEAD at the presigned URL"
curl -s --max-time 10 -o "$TEST_TMP/fetched" "$store_url"
assert_eq "$layer" "$(sha256_digest <"$TEST_TMP/fetched")" "GET at the presigned URL serves the blob"
assert_eq 0 "$(jq -c 'select(.at == "store" and .auth)' "$DST_ECR_LOG" | wc -l)" "Authorization at the store (curl sends none there)"
assert_eq 404 "$(status_of -o /dev/null -I "$E/v2/mirror/app/blobs/sha256:$(printf '%064d' 7)")" "a missing blob is 404, not redirected"
# Switches are off unless switched on.
assert_eq 200 "$(status_of -o /dev/null -I "http://$DST_REGISTRY_ADDR/v2/mirror/app/blobs/$layer")" "the registry itself answers HEAD"
pass
