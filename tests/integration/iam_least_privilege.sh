#!/usr/bin/env bash
# Least privilege, proven: every IAM action ecr-mirror makes AWS authorise, in every setup the
# suites know, is in deploy/permissions.json's set for that setup, and every action in those sets
# is used by some run. The AWS stand-in logs the actions each API call is authorised under (with
# what it implies: sts:GetServiceBearerToken, TagResource, the KMS grants), and the ECR
# personality in front of each registry logs those of each registry request (PutImage,
# InitiateLayerUpload, ...). Setups: ECR Public and private ECR, each with an existing repository
# (first copy, then no-op), with --create-repository alone, and with it and every setting it has.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_*/DST2_* are exported by registry_start*
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=aws_checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/aws_checks.sh"
unset ECRM_PERSONALITY
aws_suite_init iam_least_privilege htpasswd
ROOT="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
PERMISSIONS="$ROOT/deploy/permissions.json"
export GITHUB_REPOSITORY=octo-org/octo-repo GITHUB_REF=refs/heads/main
ROLE="arn:aws:iam::123456789012:role/ecr-mirror-push"
PW="ecr-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

registry_start SRC plain
registry_start DST token                # ECR Public: a token realm that takes AWS:<password>
registry_start_aws_basic DST2 "$PW"     # private ECR: Basic AWS:<password>
# One password for every ECR token: the private registry's htpasswd is read once.
aws_server_start --users-file "$DST_USERS_FILE" --ecr-passwords "$(yes "$PW" | head -n 60 | paste -sd, -)" \
  --github-repo "$GITHUB_REPOSITORY" --github-ref "$GITHUB_REF" --public-alias alias \
  --registry-root "$DST2_DIR/data"
ecr_personality_start DST ecr-public --no-switch throttle
ecr_personality_start DST2 ecr --no-switch throttle
aws_scenario '{"repositories": {"ecr-public": ["existing"], "ecr": ["team/existing"]}}'
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 2 --layer-size 8192 --seed 95 --tag noble
seed_image "$TEST_TMP/img" SRC base:noble
cat >"$TEST_TMP/lifecycle.json" <<'JSON'
{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
  "countUnit": "days", "countNumber": 7}, "action": {"type": "expire"}}]}
JSON
aws=(--role-to-assume "$ROLE" --source "$SRC_ADDR/base:noble")
USED_ALL="$TEST_TMP/used-all.txt"
: >"$USED_ALL"

# allowed_set FILE SERVICE SETTING...: the actions the permission set grants that setup.
allowed_set() {
  local file="$1" service="$2"
  shift 2
  jq -r --arg s "$service" --argjson on "$(printf '%s\n' "$@" | jq -R . | jq -sc 'map(select(. != ""))')" \
    '.[$s] as $x | ($x.push.account + $x.push.repository
       + [$on[] as $k | ($x.settings[$k] // error("no setting \($k) for \($s)")) | to_entries[].value[]]) | .[]' \
    "$file" | sort -u
}
# used_since REGISTRY: the actions the runs since the marks were authorised under.
used_since() {
  { aws_since '.iam[]?' | jq -r .
    tail -n "+$(($(_registry_get "$1" MARK) + 1))" "$(_registry_get "$1" ECR_LOG)" |
      jq -r 'select(.at == "proxy" and (.judge | not) and (.status // 0) < 400) | .iam[]?'
  } | sort -u
}
# setup NAME REGISTRY SERVICE "SETTINGS" ARGS...: runs ecr-mirror, then checks what it used.
setup() {
  local name="$1" registry="$2" service="$3" settings="$4"
  shift 4
  aws_mark
  registry_mark "$registry"
  run_aws "$name" "$@"
  assert_rc 0 "setup $name"
  local used="$TEST_TMP/used-$name.txt" allowed="$TEST_TMP/allowed-$name.txt" extra
  used_since "$registry" >"$used"
  # shellcheck disable=SC2086 # settings is a word list on purpose
  allowed_set "$PERMISSIONS" "$service" $settings >"$allowed"
  extra="$(comm -23 "$used" "$allowed" | paste -sd' ' -)"
  [[ -z "$extra" ]] || fail "setup $name used actions its permission set lacks: $extra (deploy/permissions.json: $service ${settings:-push})"
  cat "$used" >>"$USED_ALL"
  log "setup $name: $(grep -c . "$used") actions, all in the $service set${settings:+ with $settings}"
}

setup public-first DST ecr-public "" "${aws[@]}" --destination "$DST_ADDR/alias/existing" \
  --destination-type ecr-public --insecure-registries "$SRC_ADDR,$DST_ADDR"
setup public-noop DST ecr-public "" "${aws[@]}" --destination "$DST_ADDR/alias/existing" \
  --destination-type ecr-public --insecure-registries "$SRC_ADDR,$DST_ADDR"
setup public-create DST ecr-public "create-repository repository-tags" "${aws[@]}" \
  --destination "$DST_ADDR/alias/created" --destination-type ecr-public --insecure-registries "$SRC_ADDR,$DST_ADDR" \
  --create-repository --repository-tags team=platform --repository-about "About"
setup public-create-plain DST ecr-public "create-repository" "${aws[@]}" \
  --destination "$DST_ADDR/alias/created-plain" --destination-type ecr-public --insecure-registries "$SRC_ADDR,$DST_ADDR" \
  --create-repository
setup private-first DST2 ecr "" "${aws[@]}" --destination "$DST2_ADDR/team/existing" \
  --destination-type ecr --aws-region eu-west-1 --insecure-registries "$SRC_ADDR,$DST2_ADDR"
setup private-noop DST2 ecr "" "${aws[@]}" --destination "$DST2_ADDR/team/existing" \
  --destination-type ecr --aws-region eu-west-1 --insecure-registries "$SRC_ADDR,$DST2_ADDR"
setup private-create-plain DST2 ecr "create-repository" "${aws[@]}" \
  --destination "$DST2_ADDR/team/created-plain" --destination-type ecr --aws-region eu-west-1 \
  --insecure-registries "$SRC_ADDR,$DST2_ADDR" --create-repository
setup private-create DST2 ecr "create-repository lifecycle-policy repository-tags kms-key" "${aws[@]}" \
  --destination "$DST2_ADDR/team/created" --destination-type ecr --aws-region eu-west-1 \
  --insecure-registries "$SRC_ADDR,$DST2_ADDR" --create-repository --lifecycle-policy "$TEST_TMP/lifecycle.json" \
  --repository-tags team=platform --encryption KMS --kms-key arn:aws:kms:eu-west-1:123456789012:key/mirror \
  --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --immutable-tag-exclusions noble

# unused FILE: the actions FILE's sets grant that no setup used.
unused() {
  comm -23 <(jq -r '.[] | objects | [.push.account, .push.repository, (.settings | to_entries[].value | to_entries[].value)] | flatten[]' "$1" | sort -u) \
    <(sort -u "$USED_ALL")
}
left="$(unused "$PERMISSIONS" | paste -sd' ' -)"
[[ -z "$left" ]] || fail "deploy/permissions.json grants actions no setup uses: $left"
# The check bites: an action added to a set that no run uses is reported.
jq '.ecr.push.repository += ["ecr:DeleteRepository"]' "$PERMISSIONS" >"$TEST_TMP/widened.json"
[[ "$(unused "$TEST_TMP/widened.json")" == "ecr:DeleteRepository" ]] ||
  fail "the unused-permission check missed an added ecr:DeleteRepository: $(unused "$TEST_TMP/widened.json")"
log "all $(sort -u "$USED_ALL" | grep -c .) actions in deploy/permissions.json are used by some setup, and no setup used one outside its set"
pass
