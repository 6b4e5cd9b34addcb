#!/usr/bin/env bash
# A second, independent AWS peer: moto_server (moto 5, in the machine image's Python 3.11) plays
# STS and private ECR for the calls ecr-mirror makes, and the effect is read back through moto
# with boto3: AssumeRoleWithWebIdentity (the web-identity token file flow), GetAuthorizationToken,
# DescribeRepositories, CreateRepository with every repository setting, PutLifecyclePolicy, and
# the tag-mutability check before the first write. moto 5.2.1 does not implement
# BatchCheckLayerAvailability (it answers 500): ecr-mirror must fall back to a HEAD per blob.
# tests/lib/aws_server.py stays the primary emulator; this suite skips (77) without moto.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start*
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
unset ECRM_PERSONALITY
aws_suite_init aws_moto htpasswd
command -v moto_server >/dev/null 2>&1 || skip "moto_server is not on PATH (the machine image's Python 3.11 ships moto 5)"
# moto and boto3 live in the python3 on PATH (pyenv), not in Debian's /usr/bin/python3.
MOTO_PY=python3
"$MOTO_PY" -c 'import moto, boto3' 2>/dev/null || skip "the python3 on PATH lacks moto/boto3"
ACCOUNT=123456789012
# moto's GetAuthorizationToken hands out AWS:<account>-auth-token, dated 2015.
registry_start SRC plain
registry_start_aws_basic DST "$ACCOUNT-auth-token"

port="$(free_port)"
start_bg "$TEST_TMP/moto" timeout "$ECRM_SERVER_LIFETIME" moto_server -H 127.0.0.1 -p "$port"
wait_until 20 curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port/moto-api/" ||
  fail "moto_server did not start on 127.0.0.1:$port: $(tail -n 5 "$TEST_TMP/moto.err")"
MOTO="http://127.0.0.1:$port"
log "moto_server $("$MOTO_PY" -c 'import moto; print(moto.__version__)') on $MOTO"
export AWS_ENDPOINT_URL_STS="$MOTO" AWS_ENDPOINT_URL_ECR="$MOTO" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$TEST_TMP/aws-config" AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/aws-credentials"
# The EKS-style web identity flow: ecr-mirror exchanges the file's token at (moto's) STS.
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9jdG8vcmVwbzpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln' >"$TEST_TMP/web-identity"
export AWS_ROLE_ARN="arn:aws:iam::$ACCOUNT:role/ecr-push" AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_TMP/web-identity"

# moto_read WHAT REPOSITORY: the repository as moto stores it, through boto3.
moto_read() {
  MOTO="$MOTO" "$MOTO_PY" - "$1" "$2" <<'PYEOF'
import json, os, sys
import boto3
ecr = boto3.client("ecr", endpoint_url=os.environ["MOTO"], region_name="eu-west-1",
                   aws_access_key_id="AKIDMOTOREADER", aws_secret_access_key="moto")
what, name = sys.argv[1], sys.argv[2]
if what == "repository":
    repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    print(json.dumps({k: repo.get(k) for k in ("imageTagMutability", "imageTagMutabilityExclusionFilters",
                      "imageScanningConfiguration", "encryptionConfiguration")} | {"tags": tags}, sort_keys=True))
elif what == "lifecycle":
    print(json.dumps(json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]), sort_keys=True))
elif what == "create-immutable":
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
PYEOF
}

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 8192 --seed 91 --tag noble
seed_image "$TEST_TMP/img" SRC base:noble
cat >"$TEST_TMP/lifecycle.json" <<'JSON'
{"rules": [{"rulePriority": 1, "description": "untagged go after 7 days",
  "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
  "action": {"type": "expire"}}]}
JSON
common=(--insecure-registries "$SRC_ADDR,$DST_ADDR" --destination-type ecr --aws-region eu-west-1)

# ---------------------------------------------------------------- create with every setting
run_aws create --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/mirror/base" "${common[@]}" \
  --create-repository --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --immutable-tag-exclusions noble \
  --encryption KMS --kms-key alias/ecr-mirror --scan-on-push false --lifecycle-policy "$TEST_TMP/lifecycle.json" \
  --repository-tags 'team=platform,cost-center=42'
assert_rc 0 "first copy with moto as STS and ECR"
assert_same_image "$SRC_ADDR/base:noble" "$DST_ADDR/mirror/base:noble" "" "$DST_CREDS"
assert_contains "$(cat "$RUN_PRINTED")" "web identity token file and STS" "credentials from moto's STS"
assert_contains "$(cat "$RUN_PRINTED")" "Created repository mirror/base" "the repository was created"
assert_contains "$(cat "$RUN_PRINTED")" "batched presence check failed" "moto's BatchCheckLayerAvailability (not implemented) falls back"
stored="$(moto_read repository mirror/base)"
assert_eq '{"encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/ecr-mirror"}, "imageScanningConfiguration": {"scanOnPush": false}, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION", "imageTagMutabilityExclusionFilters": [{"filter": "noble", "filterType": "WILDCARD"}], "tags": [{"Key": "team", "Value": "platform"}, {"Key": "cost-center", "Value": "42"}]}' \
  "$stored" "the repository as moto stores it"
assert_eq "$(jq -S -c . "$TEST_TMP/lifecycle.json" | "$MOTO_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
  "$(moto_read lifecycle mirror/base)" "the lifecycle policy as moto stores it"

# ---------------------------------------------------------------- no-op: the token moto dates 2015 is reused
run_aws noop --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/mirror/base" "${common[@]}"
assert_rc 0 "no-op against moto"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_contains "$(cat "$RUN_PRINTED")" "expires in the past" "the warning about the token's date"

# ---------------------------------------------------------------- an IMMUTABLE repository in moto
moto_read create-immutable frozen/base >/dev/null
run_aws frozen-first --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/frozen/base" "${common[@]}"
assert_rc 0 "first copy into moto's IMMUTABLE repository"
make_image "$TEST_TMP/new" --platforms linux/amd64 --layers 1 --layer-size 8192 --seed 92 --tag noble
seed_image "$TEST_TMP/new" SRC base:noble
registry_mark DST
run_aws frozen-move --source "$SRC_ADDR/base:noble" --destination "$DST_ADDR/frozen/base" "${common[@]}"
assert_rc 1 "the rolling tag would move in moto's IMMUTABLE repository"
assert_contains "$(cat "$RUN_PRINTED")" "imageTagMutability IMMUTABLE" "read from moto's DescribeRepositories"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
# moto's registry password and the token that carries it were masked in everything printed.
printf '%s\n' "$ACCOUNT-auth-token" "$(printf 'AWS:%s' "$ACCOUNT-auth-token" | base64 -w0)" >"$TEST_TMP/secrets"
for label in create noop frozen-first frozen-move; do
  assert_secrets_unprinted "$TEST_TMP/secrets" "$TEST_TMP/$label.printed"
done
pass
