#!/usr/bin/env bash
# Private ECR as the seeds set it up, end to end with AWS played by tests/lib/aws_server.py and the
# registry behind the "ecr" personality (tests/lib/ecr_proxy.py):
#   1. --create-repository with every setting (tag mutability with exclusions, KMS, scan on push,
#      a lifecycle policy, resource tags), read back from the AWS stand-in; a first copy costs 2
#      registry requests per new blob (POST, PUT) and one BatchCheckLayerAvailability per 100;
#   2. the no-op re-run: 1 + tags registry requests, one AWS call;
#   3. the rolling tag moves where an exclusion filter lets it;
#   4. an IMMUTABLE repository: a rolling tag that would move stops the run before the first
#      write, and without DescribeRepositories the registry's TAG_INVALID gets the same advice;
#   5. what ECR refuses (a 0-byte layer, more than 500 layers) is refused before any write;
#   6. BatchCheckLayerAvailability not allowed: a HEAD per blob instead;
#   7. BatchCheckLayerAvailability wrong (every layer "there"): the registry's MANIFEST_BLOB_UNKNOWN
#      makes ecr-mirror check each blob with the registry and push again.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start*
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
unset ECRM_PERSONALITY
aws_suite_init aws_ecr_settings htpasswd
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
STATIC_AKID=AKIAECRMSETTINGS0001
STATIC_SECRET="static/$(random_hex 16)"
ECR_PASSWORD="ecr-$(random_hex 20)"

registry_start SRC plain
registry_start_aws_basic DST "$ECR_PASSWORD"
aws_server_start --static-credentials "$STATIC_AKID:$STATIC_SECRET" --ecr-passwords "$ECR_PASSWORD" \
  --registry-root "$DST_DIR/data"
# The registry as ECR answers; its tags immutable except those the exclusion filter names.
ecr_personality_start DST ecr --no-switch throttle --switch immutable-tags
ecr_config DST '{"immutable_exclusions": ["noble"]}'
export AWS_ACCESS_KEY_ID="$STATIC_AKID" AWS_SECRET_ACCESS_KEY="$STATIC_SECRET"
# The AWS stand-in validates requests against the newest AWS models on this machine; ECR's
# exclusion filters came after Debian's botocore 1.29.
ECRM_LIB_DIR="$ECRM_LIB_DIR" "$PY" -c '
import os, sys
sys.path.insert(0, os.environ["ECRM_LIB_DIR"])
from aws_server import model
enum = model.service_model("ecr").operation_model("CreateRepository").input_shape.members["imageTagMutability"].enum
sys.exit(0 if "IMMUTABLE_WITH_EXCLUSION" in enum else 1)' ||
  skip "no botocore model on this machine knows ECR's IMMUTABLE_WITH_EXCLUSION (ECRM_BOTOCORE_DATA=${ECRM_BOTOCORE_DATA:-unset})"

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 60 --layer-size 1024 --seed 81 --tag noble
seed_image "$TEST_TMP/img" SRC base:noble
digest="$(summary "$TEST_TMP/img" .index_digest)"
blob_count="$(summary "$TEST_TMP/img" '.blobs | length')"
((blob_count > 100)) || fail "fixture: $blob_count blobs, the batching needs more than 100"
cat >"$TEST_TMP/lifecycle.json" <<'JSON'
{"rules": [
  {"rulePriority": 1, "description": "untagged go after 14 days",
   "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
   "action": {"type": "expire"}},
  {"rulePriority": 2, "description": "keep 30 immutable tags",
   "selection": {"tagStatus": "tagged", "tagPrefixList": ["noble-"], "countType": "imageCountMoreThan", "countNumber": 30},
   "action": {"type": "expire"}}]}
JSON
common=(--insecure-registries "$SRC_ADDR,$DST_ADDR" --destination-type ecr --aws-region eu-west-1)
repository() { curl -sS --max-time 10 "$AWS_SERVER_URL/_control" | jq -c --arg n "$1" '.repositories.ecr // [] | map(select(.name == $n)) | .[0]'; }

# ---------------------------------------------------------------- 1. created with every setting
aws_mark
registry_mark DST
run_aws create --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/mirror/base" "${common[@]}" \
  --create-repository --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --immutable-tag-exclusions noble \
  --encryption KMS --kms-key alias/ecr-mirror --scan-on-push false --lifecycle-policy "$TEST_TMP/lifecycle.json" \
  --repository-tags 'team=platform,cost-center=42'
assert_rc 0 "first copy into a repository created with every setting"
assert_same_image "$SRC_ADDR/base:noble" "$DST_ADDR/mirror/base:noble" "" "$DST_CREDS"
calls="$(aws_calls)"
assert_eq "ecr.GetAuthorizationToken,ecr.DescribeRepositories,ecr.CreateRepository,ecr.PutLifecyclePolicy,ecr.BatchCheckLayerAvailability,ecr.BatchCheckLayerAvailability" \
  "$calls" "AWS calls of the first copy (two presence checks: $blob_count blobs, 100 a call)"
settings="$(repository mirror/base | jq -c .settings)"
assert_eq IMMUTABLE_WITH_EXCLUSION "$(jq -r .imageTagMutability <<<"$settings")" "imageTagMutability"
assert_eq '[{"filterType":"WILDCARD","filter":"noble"}]' "$(jq -c .imageTagMutabilityExclusionFilters <<<"$settings")" "exclusion filters"
assert_eq '{"encryptionType":"KMS","kmsKey":"alias/ecr-mirror"}' "$(jq -c .encryptionConfiguration <<<"$settings")" "encryption"
assert_eq '{"scanOnPush":false}' "$(jq -c .imageScanningConfiguration <<<"$settings")" "scan on push"
assert_eq '[{"Key":"team","Value":"platform"},{"Key":"cost-center","Value":"42"}]' "$(jq -c .tags <<<"$settings")" "resource tags"
assert_eq "$(jq -c . "$TEST_TMP/lifecycle.json")" "$(jq -r .lifecyclePolicyText <<<"$settings" | jq -c .)" "lifecycle policy"
# 2 destination requests per new blob, no blob HEAD (the presence checks answered for all).
assert_eq 0 "$(count_requests DST HEAD '/v2/mirror/base/blobs/.*')" "blob HEADs"
assert_eq "$blob_count" "$(count_requests DST POST '/v2/mirror/base/blobs/uploads/.*')" "upload POSTs (one per blob)"
assert_eq "$blob_count" "$(count_requests DST PUT '/v2/mirror/base/blobs/uploads/.*' 201)" "blob PUTs (one per blob)"
assert_eq 0 "$(count_requests DST PATCH '.*')" "PATCHes"
digests_asked="$(aws_since 'select(.action == "BatchCheckLayerAvailability") | .params.layerDigests | length' | paste -sd,)"
assert_eq "100,$((blob_count - 100))" "$digests_asked" "digests per presence check"
assert_contains "$(cat "$RUN_PRINTED")" "API calls" "the report counts API calls"
per_blob="$(awk -v r="$(count_requests DST 'POST|PUT|HEAD|PATCH' '/v2/mirror/base/blobs/.*')" -v b="$blob_count" 'BEGIN { printf "%.2f", r / b }')"
log "first copy: $blob_count blobs, $per_blob destination requests per blob, 2 presence calls"
assert_no_secret_printed "$ECR_PASSWORD"

# ---------------------------------------------------------------- 2. no-op
aws_mark
registry_mark DST
run_aws noop --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/mirror/base" "${common[@]}" --create-repository
assert_rc 0 "no-op"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq "ecr.GetAuthorizationToken" "$(aws_calls)" "AWS calls of a no-op"
assert_eq 2 "$(count_requests DST '[A-Z]+' '.*')" "destination requests of a no-op (one HEAD per tag)"

# ---------------------------------------------------------------- 3. the rolling tag may move (excluded)
make_image "$TEST_TMP/new" --platforms linux/amd64,linux/arm64 --layers 60 --layer-size 1024 --seed 82 --tag noble
seed_image "$TEST_TMP/new" SRC base:noble
new_digest="$(summary "$TEST_TMP/new" .index_digest)"
run_aws moved --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/mirror/base" "${common[@]}"
assert_rc 0 "the rolling tag moves past an exclusion filter"
assert_eq "$new_digest" "$(ref_digest "$DST_ADDR/mirror/base:noble" "$DST_CREDS")" "noble after the move"

# ---------------------------------------------------------------- 4. an IMMUTABLE repository
aws_scenario '{"repositories": {"ecr": [{"name": "frozen/base", "settings": {"imageTagMutability": "IMMUTABLE"}}, "open/base"]}}'
make_image "$TEST_TMP/jammy" --platforms linux/amd64 --layers 2 --layer-size 4096 --seed 83 --tag jammy
make_image "$TEST_TMP/jammy2" --platforms linux/amd64 --layers 2 --layer-size 4096 --seed 84 --tag jammy
seed_image "$TEST_TMP/jammy" SRC base:jammy
run_aws frozen-first --source "$SRC_ADDR/base:jammy" --destination "$DST_ADDR/frozen/base" "${common[@]}"
assert_rc 0 "first copy into an IMMUTABLE repository (new tags only)"
seed_image "$TEST_TMP/jammy2" SRC base:jammy
aws_mark
registry_mark DST
run_aws frozen-move --source "$SRC_ADDR/base:jammy" --destination "$DST_ADDR/frozen/base" "${common[@]}"
assert_rc 1 "the rolling tag would move in an IMMUTABLE repository"
assert_contains "$(cat "$RUN_PRINTED")" "jammy already points at another image" "the message names the tag"
assert_contains "$(cat "$RUN_PRINTED")" "filter=jammy" "the fix: an exclusion filter for it"
assert_contains "$(cat "$RUN_PRINTED")" "Nothing was written" "the message says nothing was written"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_eq "$(summary "$TEST_TMP/jammy" .index_digest)" "$(ref_digest "$DST_ADDR/frozen/base:jammy" "$DST_CREDS")" "jammy did not move"
# Without DescribeRepositories (least privilege), the registry's own TAG_INVALID says the same.
aws_scenario '{"ecr_fail": [{"code": "AccessDeniedException", "op": "DescribeRepositories"}]}'
run_aws frozen-denied --source "$SRC_ADDR/base:jammy" --destination "$DST_ADDR/frozen/base" "${common[@]}"
assert_rc 1 "the rolling tag refused by the registry (TAG_INVALID)"
assert_contains "$(cat "$RUN_PRINTED")" "TAG_INVALID" "the registry's code"
assert_contains "$(cat "$RUN_PRINTED")" "exclusion filter" "the same advice"
assert_eq "$(summary "$TEST_TMP/jammy" .index_digest)" "$(ref_digest "$DST_ADDR/frozen/base:jammy" "$DST_CREDS")" "jammy did not move"

# ---------------------------------------------------------------- 5. refused before any write
make_image "$TEST_TMP/empty" --platforms linux/amd64 --layers 1 --layer-size 4096 --seed 85 --empty-layer --tag 1.0
"$PY" "$ECRM_LIB_DIR/push_layout.py" --layout "$TEST_TMP/empty" --ref-name 1.0 --dest "$SRC_ADDR/library/empty:1.0" \
  >"$TEST_TMP/seed-empty.log" 2>&1 || fail "seeding the empty-layer image failed: $(tail -n 3 "$TEST_TMP/seed-empty.log")"
make_image "$TEST_TMP/many" --platforms linux/amd64 --layers 501 --layer-size 16 --seed 86 --tag 1.0
seed_image "$TEST_TMP/many" SRC library/many:1.0
for case in "empty|is empty (0 bytes)|EmptyUploadException" "many|has 501 layers|refuses more than 500"; do
  IFS='|' read -r image why code <<<"$case"
  aws_mark
  registry_mark DST
  run_aws "refuse-$image" --source "$SRC_ADDR/library/$image:1.0" --destination "$DST_ADDR/open/base" "${common[@]}"
  assert_rc 1 "an image ECR would refuse ($image)"
  assert_contains "$(cat "$RUN_PRINTED")" "$why" "what is wrong with the image"
  assert_contains "$(cat "$RUN_PRINTED")" "$code" "what ECR would answer"
  assert_contains "$(cat "$RUN_PRINTED")" "nothing was written" "the fix line"
  assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
done

# ---------------------------------------------------------------- 6. no BatchCheckLayerAvailability
aws_scenario '{"ecr_fail": [{"code": "AccessDeniedException", "op": "BatchCheckLayerAvailability"}]}'
registry_mark DST
run_aws no-batch --source "$SRC_ADDR/base:jammy" --destination "$DST_ADDR/open/base" "${common[@]}"
assert_rc 0 "BatchCheckLayerAvailability not allowed"
assert_contains "$(cat "$RUN_PRINTED")" "asking with a HEAD per blob" "the log says so"
(($(count_requests DST HEAD '/v2/open/base/blobs/.*') >= 1)) || fail "no blob HEAD after the presence check was refused"
assert_same_image "$SRC_ADDR/base:jammy" "$DST_ADDR/open/base:jammy" "" "$DST_CREDS"

# ---------------------------------------------------------------- 7. a presence check that is wrong
# BatchCheckLayerAvailability says every layer is there; the registry refuses the manifest
# (MANIFEST_BLOB_UNKNOWN). ecr-mirror checks each blob with the registry, copies what is
# missing, and pushes the manifest again.
aws_scenario '{"repositories": {"ecr": ["lying/base"]}, "layers_all_available": true}'
run_aws lying --source "$SRC_ADDR/base:jammy" --destination "$DST_ADDR/lying/base" "${common[@]}"
assert_rc 0 "a presence check that claimed every blob"
assert_contains "$(cat "$RUN_PRINTED")" "the batched presence check was wrong" "the log says what happened"
assert_same_image "$SRC_ADDR/base:jammy" "$DST_ADDR/lying/base:jammy" "" "$DST_CREDS"
aws_scenario '{"layers_all_available": false}'
assert_no_secret_printed "$ECR_PASSWORD"
pass
