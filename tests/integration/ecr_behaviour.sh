#!/usr/bin/env bash
# ecr-mirror against each documented ECR behaviour on its own (tests/lib/ecr_proxy.py, one
# switch at a time, in front of a token-auth docker-registry), destination type "registry": what
# the engine does with it. The ECR-typed checks (BatchCheckLayerAvailability, immutability read
# before the first write, refusals before any write) are in aws_ecr_settings.sh.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/SLOW_* are exported by registry_start / proxy_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
unset ECRM_PERSONALITY
suite_init ecr_behaviour
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain
registry_start DST token
ecr_personality_start DST none --switch chunked-stall
proxy_start SLOW SRC --blob-delay 0.4
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 3 --layer-size 65536 --seed 71 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
digest="$(summary "$TEST_TMP/img" .index_digest)"
short="${digest#sha256:}"
short="${short:0:12}"
blob_count="$(summary "$TEST_TMP/img" '.blobs | length')"
dst_auth=(--destination-username "$DST_USER" --destination-password "$DST_PASS")
common=(--source "$SRC_ADDR/library/app:1.0" --insecure-registries "$SRC_ADDR,$DST_ADDR,$SLOW_ADDR" "${dst_auth[@]}")
# switch_on NAME [CONFIG_JSON_FIELDS]: only that switch (chunked-stall stays on throughout).
switch_on() { ecr_config DST "{\"switches_on\": [\"$1\"]${2:+, $2}}"; }
commits() { count_requests DST PUT "/v2/$1/blobs/uploads/.*digest=.*" 201; }

# ---------------------------------------------------------------- blob HEAD answers 401 (ECR Public)
switch_on blob-head-401
registry_mark DST
run_mirror head401 "${common[@]}" --destination "$DST_ADDR/h401/app"
assert_rc 0 "blob HEADs answered 401 whatever the token"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/h401/app:1.0" "" "$DST_CREDS"
assert_eq "$blob_count" "$(commits h401/app)" "blobs committed (each uploaded: its presence is unknown)"
# At most one HEAD per worker before the first answer, each renewed once after the first 401.
heads="$(count_requests DST HEAD '/v2/h401/app/blobs/.*')"
((heads <= 3 * 8)) || fail "$heads blob HEADs: they went on after the registry showed they say nothing"
assert_contains "$(cat "$RUN_STDERR")" "blob HEADs say nothing" "the log says why blobs are uploaded"

# ---------------------------------------------------------------- HEAD redirected to a store that refuses it
switch_on blob-redirect-403
registry_mark DST
run_mirror redirect403 "${common[@]}" --destination "$DST_ADDR/h401/app" --force
assert_rc 0 "blob HEADs redirected to a presigned URL that refuses HEAD"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/h401/app:1.0" "" "$DST_CREDS"
(($(ecr_count DST '.switch == "blob-redirect-403"') >= 1)) || fail "no blob HEAD was redirected"
assert_eq 0 "$(ecr_count DST '.at == "store" and .auth')" "requests at the object store carrying Authorization"
assert_eq "$blob_count" "$(commits h401/app)" "blobs committed after an unknown answer"

# ---------------------------------------------------------------- an expired token answers 400 DENIED
# Each Authorization value lives 1 s at the personality; the copy takes longer (a slow source,
# one blob at a time), so cached tokens expire mid-run and come back 400 DENIED, no challenge.
ecr_config DST '{"credential_lifetime": 1, "switches_on": ["expired-400"]}'
run_mirror expired --source "$SLOW_ADDR/library/app:1.0" --insecure-registries "$SLOW_ADDR,$DST_ADDR" \
  "${dst_auth[@]}" --destination "$DST_ADDR/expired/app" --concurrency 1
assert_rc 0 "tokens expiring mid-run, answered 400 DENIED"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/expired/app:1.0" "" "$DST_CREDS"
denials="$(ecr_count DST '.switch == "credential_lifetime"')"
((denials >= 1)) || fail "no request was answered 400 DENIED: the case proves nothing"
log "expired tokens: $denials requests answered 400 DENIED, each renewed"

# ---------------------------------------------------------------- no monolithic upload: ECR's PATCH answers
ecr_config DST '{"switches_on": ["no-monolithic", "patch-201", "multi-patch-invalid"]}'
registry_mark DST
# Eight workers: at most the eight monolithic PUTs in flight when the first refusal comes back.
run_mirror patch "${common[@]}" --destination "$DST_ADDR/patch/app" --concurrency 8
assert_rc 0 "POST + one PATCH (answered 201) + PUT after the monolithic PUT is refused"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/patch/app:1.0" "" "$DST_CREDS"
assert_eq "$blob_count" "$(count_requests DST PATCH '/v2/patch/app/blobs/uploads/.*' 201)" "PATCHes, one per blob, answered 201"
assert_eq 0 "$(ecr_count DST '.switch == "multi-patch-invalid"')" "multi-PATCH uploads"
assert_eq "$blob_count" "$(commits patch/app)" "blobs committed"
refused="$(ecr_count DST '.switch == "no-monolithic"')"
((refused >= 1 && refused <= 8)) || fail "$refused monolithic PUTs refused: the fallback is not remembered for the run"

# ---------------------------------------------------------------- a manifest GET without its digest
switch_on manifest-get-no-digest
run_mirror from-ecr --source "$DST_ADDR/patch/app:1.0" --destination "$SRC_ADDR/back/app" \
  --insecure-registries "$SRC_ADDR,$DST_ADDR" --source-username "$DST_USER" --source-password "$DST_PASS"
assert_rc 0 "ECR as the source: manifest GETs without Docker-Content-Digest, chunked"
assert_same_image "$DST_ADDR/patch/app:1.0" "$SRC_ADDR/back/app:1.0" "$DST_CREDS" ""
(($(ecr_count DST '.switch == "manifest-get-no-digest"') >= 3)) || fail "the index and children were not read through the switch"

# ---------------------------------------------------------------- a mount opens an upload
switch_on mount-202
registry_mark DST
run_mirror mount --source "$DST_ADDR/patch/app:1.0" --destination "$DST_ADDR/mounted/app" \
  --insecure-registries "$DST_ADDR" --source-username "$DST_USER" --source-password "$DST_PASS" "${dst_auth[@]}"
assert_rc 0 "mount requests answered with an upload session"
assert_same_image "$DST_ADDR/patch/app:1.0" "$DST_ADDR/mounted/app:1.0" "$DST_CREDS" "$DST_CREDS"
assert_requests DST POST '/v2/mounted/app/blobs/uploads/\?(.*&)?mount=.*' "$blob_count" 202
assert_eq "$blob_count" "$(commits mounted/app)" "blobs uploaded into the sessions the mounts opened"

# ---------------------------------------------------------------- throttling without Retry-After
switch_on throttle '"throttle_every": 3'
run_mirror throttle "${common[@]}" --destination "$DST_ADDR/throttle/app"
assert_rc 0 "429 TOOMANYREQUESTS without Retry-After on every 3rd request"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/throttle/app:1.0" "" "$DST_CREDS"
(($(ecr_count DST '.switch == "throttle"') >= 5)) || fail "too few requests were throttled to prove anything"

# ---------------------------------------------------------------- 405 UNSUPPORTED is not retried
switch_on unsupported-manifest '"max_layers": 2'
registry_mark DST
run_mirror layers "${common[@]}" --destination "$DST_ADDR/layers/app"
assert_rc 1 "a manifest over the layer limit (405 UNSUPPORTED)"
assert_contains "$(cat "$RUN_STDERR")" "Limit on number of layers per image exceeded" "the registry's message"
assert_eq 1 "$(count_requests DST PUT '/v2/layers/app/manifests/.*')" "manifest PUTs (405 is not retried)"
assert_eq 0 "$(count_requests DST PUT '/v2/layers/app/manifests/(1\.0|1\.0-.*)')" "tags written"

# ---------------------------------------------------------------- a 0-byte blob
make_image "$TEST_TMP/empty" --platforms linux/amd64 --layers 1 --layer-size 4096 --seed 73 --empty-layer --tag 1.0
# skopeo would rewrite the manifest (it compresses the uncompressed empty layer): pushed as is.
"$PY" "$ECRM_LIB_DIR/push_layout.py" --layout "$TEST_TMP/empty" --ref-name 1.0 \
  --dest "$SRC_ADDR/library/empty:1.0" >"$TEST_TMP/seed-empty.log" 2>&1 ||
  fail "seeding the empty-layer image failed: $(tail -n 3 "$TEST_TMP/seed-empty.log")"
assert_eq "$(summary "$TEST_TMP/empty" .index_digest)" "$(ref_digest "$SRC_ADDR/library/empty:1.0")" "seeded empty-layer image"
switch_on empty-blob
run_mirror empty --source "$SRC_ADDR/library/empty:1.0" --insecure-registries "$SRC_ADDR,$DST_ADDR" \
  "${dst_auth[@]}" --destination "$DST_ADDR/empty/app"
assert_rc 1 "an image with a 0-byte layer (EmptyUploadException)"
assert_contains "$(cat "$RUN_STDERR")" "does not have any parts" "the registry's message"
assert_eq 0 "$(count_requests DST PUT '/v2/empty/app/manifests/.*')" "manifests written"

# ---------------------------------------------------------------- a missing repository
printf 'h401/app\n' >"$TEST_TMP/repositories"
ecr_config DST "{\"switches_on\": [\"name-unknown\"], \"repositories_file\": \"$TEST_TMP/repositories\"}"
run_mirror missing "${common[@]}" --destination "$DST_ADDR/not/created"
assert_rc 1 "a repository ECR does not have (NAME_UNKNOWN)"
assert_contains "$(cat "$RUN_STDERR")" "NAME_UNKNOWN" "the registry's code"
assert_contains "$(cat "$RUN_STDERR")" "--create-repository" "the hint names the flag"

# ---------------------------------------------------------------- immutable tags
switch_on immutable-tags
run_mirror imm-first "${common[@]}" --destination "$DST_ADDR/imm/app"
assert_rc 0 "first copy into an immutable repository (new tags)"
registry_mark DST
run_mirror imm-noop "${common[@]}" --destination "$DST_ADDR/imm/app"
assert_rc 0 "no-op in an immutable repository"
assert_requests DST PUT '/v2/imm/app/manifests/.*' 0
# --force writes the manifests again; the tags already there refuse (TAG_INVALID) and are right.
run_mirror imm-force "${common[@]}" --destination "$DST_ADDR/imm/app" --force
assert_rc 0 "--force in an immutable repository whose tags already point at the digest"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed under --force (all were already right)"
# The source tag moves: the new immutable tag is written, the rolling one is refused.
make_image "$TEST_TMP/new" --platforms linux/amd64,linux/arm64 --layers 3 --layer-size 65536 --seed 72 --tag 1.0
seed_image "$TEST_TMP/new" SRC library/app:1.0
new_digest="$(summary "$TEST_TMP/new" .index_digest)"
run_mirror imm-move "${common[@]}" --destination "$DST_ADDR/imm/app"
assert_rc 1 "moving the rolling tag in an immutable repository"
assert_contains "$(cat "$RUN_STDERR")" "TAG_INVALID" "the registry's code"
assert_contains "$(cat "$RUN_STDERR")" "exclusion filter" "the fix names an exclusion filter"
assert_contains "$(cat "$RUN_STDERR")" "{digest12}" "or tags without a rolling one"
assert_eq "$digest" "$(ref_digest "$DST_ADDR/imm/app:1.0" "$DST_CREDS")" "the rolling tag did not move"
switch_on immutable-tags '"immutable_exclusions": ["1.0"]'
run_mirror imm-excluded "${common[@]}" --destination "$DST_ADDR/imm/app"
assert_rc 0 "the rolling tag excluded from immutability"
assert_eq "$new_digest" "$(ref_digest "$DST_ADDR/imm/app:1.0" "$DST_CREDS")" "the rolling tag moved"

# Never once a chunked request body.
assert_eq 0 "$(jq -c 'select(.switch == "chunked-stall")' "$DST_ECR_LOG" | wc -l)" "chunked request bodies sent"
pass
