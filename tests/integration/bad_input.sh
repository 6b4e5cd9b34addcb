#!/usr/bin/env bash
# Invalid input, option by option: every case must exit 2 in under a second, name the offending
# value (or the option/variable when the value is empty), say how to fix it (a "fix:" line, or
# under GITHUB_ACTIONS=true a single ::error line carrying it), write no output, print no secret,
# and make no network connection: --source/--destination and every AWS endpoint point at
# recording listeners (tests/lib/hostile_registry.py --mode record) that must stay silent.
# Then two reachability cases: a registry on a closed port is exit 1 (not bad input), naming it.
# shellcheck disable=SC2153,SC2154 # SRC_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init bad_input
require_tools docker-registry skopeo jq curl
require_ecrm_bin

# ---------------------------------------------------------------- listeners that must stay silent
# listener_start NAME: exports NAME_ADDR and NAME_LOG (a JSON line per connection and request).
listener_start() {
  local name="$1" dir="$TEST_TMP/listener-${1,,}"
  mkdir -p "$dir"
  start_bg "$dir/server" "$PY" "$ECRM_LIB_DIR/hostile_registry.py" --mode record \
    --ready-file "$dir/ready.json" --log "$dir/log.jsonl" --max-seconds "$ECRM_SERVER_LIFETIME"
  wait_until 15 test -s "$dir/ready.json" || fail "listener $name did not start: $(cat "$dir/server.err")"
  printf -v "${name}_ADDR" '%s' "$(jq -r .addr "$dir/ready.json")"
  printf -v "${name}_LOG" '%s' "$dir/log.jsonl"
}
listener_start SRC_REC
listener_start DST_REC
listener_start AWS_REC
listener_lines() { cat "$SRC_REC_LOG" "$DST_REC_LOG" "$AWS_REC_LOG" | wc -l; }

SH="$SRC_REC_ADDR"                 # source registry host
DH="$DST_REC_ADDR"                 # destination registry host
S="$SH/library/app:1.0"
D="$DH/mirror/app"
HEX="$(printf '%064d' 0 | tr 0 a)" # a well-formed sha256 hex
X126="$(printf 'x%.0s' {1..126})"
X120="$(printf 'x%.0s' {1..120})"
SOURCE_PASSWORD="bad-input-src-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DESTINATION_PASSWORD="bad-input-dst-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
OIDC_REQUEST_TOKEN="bad-input-oidc-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
AUTH_SECRET="$(printf 'not base64 at all: %s' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')")"

# Docker configs and output paths the table refers to.
cfg="$TEST_TMP/docker-config"
mkdir -p "$cfg/implicit" "$TEST_TMP/outdir"
printf '{"auths": {"%s": {"auth": "%s"' "$SH" "$(printf 'u:p' | base64)" >"$cfg/invalid.json"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$SH" "$AUTH_SECRET" >"$cfg/not-base64.json"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$SH" "$(printf 'no-colon-here' | base64)" >"$cfg/no-colon.json"
printf '{"auths": ["%s"]}\n' "$SH" >"$cfg/auths-array.json"
printf '{"auths": {"%s": "user:password"}}\n' "$SH" >"$cfg/entry-string.json"
printf '[{"auths": {}}]\n' >"$cfg/top-array.json"
printf 'auths:\n  - nope\n' >"$cfg/implicit/config.json"

# Lifecycle policies ECR would refuse.
lc="$TEST_TMP/lifecycle"
mkdir -p "$lc"
printf 'rules: none\n' >"$lc/not-json.json"
printf '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":7},"action":{"type":"expire"}}]}\n' >"$lc/bad-unit.json"
printf '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":9},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}\n' >"$lc/any-first.json"
X1025="$(printf 'd%.0s' {1..1025})"
X25601="$(head -c 25601 /dev/zero | tr '\0' a)"

# ---------------------------------------------------------------- the case runner
CASE_TIMEOUT=3 # seconds before a case that went to the network is killed (it must take < 1 s)
failures=()
total=0
passed=0
slowest_ms=0
slowest_case=""
covered="" # every case's arguments and environment, for the coverage check at the end

# The process environment of every case: nothing from the caller but PATH (and sanitizer
# settings), a private HOME, Actions-style secrets, and AWS endpoints that record. run_case adds
# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
BASE_ENV=()
for var in PATH ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS; do
  [[ -n "${!var:-}" ]] && BASE_ENV+=("$var=${!var}")
done
BASE_ENV+=("HOME=$TEST_TMP/home"
  "INPUT_SOURCE-USERNAME=bad-input-bot" "INPUT_SOURCE-PASSWORD=$SOURCE_PASSWORD"
  "INPUT_DESTINATION-USERNAME=bad-input-bot" "INPUT_DESTINATION-PASSWORD=$DESTINATION_PASSWORD"
  "ACTIONS_ID_TOKEN_REQUEST_URL=http://$AWS_REC_ADDR/oidc"
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN=$OIDC_REQUEST_TOKEN"
  "AWS_ENDPOINT_URL_STS=http://$AWS_REC_ADDR" "AWS_ENDPOINT_URL_ECR=http://$AWS_REC_ADDR"
  "AWS_ENDPOINT_URL_ECR_PUBLIC=http://$AWS_REC_ADDR" "AWS_EC2_METADATA_DISABLED=true"
  "AWS_CONFIG_FILE=$TEST_TMP/home/aws-config" "AWS_SHARED_CREDENTIALS_FILE=$TEST_TMP/home/aws-creds")

# run_case MODE: runs ecr-mirror with CASE_ENV and CASE_ARGS (MODE plain or actions), sets
# CASE_RC and appends to CASE_PROBLEMS what is wrong with the result.
run_case() {
  local mode="$1" dir="$CASE_DIR/$1"
  mkdir -p "$dir"
  : >"$CASE_DIR/github_output"
  rm -f "$CASE_DIR/step_summary"
  local env_list=("${BASE_ENV[@]}" "GITHUB_OUTPUT=$CASE_DIR/github_output"
    "GITHUB_STEP_SUMMARY=$CASE_DIR/step_summary")
  [[ "$mode" == actions ]] && env_list+=(GITHUB_ACTIONS=true)
  env_list+=("${CASE_ENV[@]}")
  local lines_before t0 rc=0
  lines_before="$(listener_lines)"
  t0="$EPOCHREALTIME"
  env -i "${env_list[@]}" timeout --kill-after=2 "$CASE_TIMEOUT" "$ECRM_BIN" "${CASE_ARGS[@]}" \
    >"$dir/stdout" 2>"$dir/stderr" </dev/null || rc=$?
  local ms
  ms="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')"
  local out
  out="$(cat "$dir/stdout" "$dir/stderr")"
  local problems=()
  [[ "$rc" == 2 ]] || problems+=("exit $rc, expected 2")
  ((rc == 2 && ms > slowest_ms)) && slowest_ms="$ms" slowest_case="$CASE_NAME/$mode"
  ((ms < 1000)) || problems+=("took $ms ms (must fail before any network work, in < 1 s)")
  [[ "$(listener_lines)" == "$lines_before" ]] ||
    problems+=("made network connections: $(tail -n +$((lines_before + 1)) <(cat "$SRC_REC_LOG" "$DST_REC_LOG" "$AWS_REC_LOG") | head -n 3 | tr '\n' ' ')")
  local needle
  for needle in "${CASE_NEEDLES[@]}"; do
    [[ "$out" == *"$needle"* ]] || problems+=("does not name '$needle'")
  done
  # A secret may appear only in ::add-mask:: (that is how the runner learns to hide it).
  local shown secret
  shown="$(grep -v '^::add-mask::' <<<"$out" || true)"
  for secret in "$SOURCE_PASSWORD" "$DESTINATION_PASSWORD" "$OIDC_REQUEST_TOKEN" "${CASE_SECRETS[@]}"; do
    [[ "$shown" != *"$secret"* ]] || problems+=("printed the secret '$secret'")
  done
  [[ ! -s "$CASE_DIR/github_output" ]] || problems+=("wrote outputs: $(head -c 200 "$CASE_DIR/github_output")")
  [[ ! -s "$CASE_DIR/step_summary" ]] || problems+=("wrote a step summary")
  local path
  for path in "${CASE_ABSENT[@]}"; do
    [[ ! -e "$path" ]] || problems+=("created $path")
  done
  if [[ "$mode" == plain ]]; then
    grep -qE '^ *fix: [^ ]' "$dir/stderr" || problems+=("no 'fix: ...' line on stderr")
  else
    local errors
    errors="$(grep -c '^::error' "$dir/stdout" || true)"
    [[ "$errors" == 1 ]] || problems+=("$errors ::error lines on stdout, expected 1")
    grep -qE '^::error title=[^:,]+::[^ ].*%0Afix: [^ ].*$' "$dir/stdout" ||
      problems+=("no '::error title=...::message%0Afix: hint' line")
    local stray
    stray="$(grep -vE '^::(error|add-mask)' "$dir/stdout" || true)$(cat "$dir/stderr")"
    [[ -z "$stray" ]] || problems+=("printed more than workflow commands: $(head -c 200 <<<"$stray")")
  fi
  local problem
  for problem in "${problems[@]}"; do
    CASE_PROBLEMS+=("[$mode] $problem")
  done
  CASE_RC="$rc"
}

# bad NAME [-e VAR=VALUE]... [-n NEEDLE]... [-s SECRET]... [-x PATH]... -- ARGS...
#   runs ecr-mirror --source $S --destination $D ARGS... (bad_raw: ARGS only), once plainly and
#   once as under GitHub Actions. -e adds to the environment, -n is text the output must contain,
#   -s text it must not, -x a path that must not exist afterwards.
bad() { _bad_case with-defaults "$@"; }
bad_raw() { _bad_case raw "$@"; }
_bad_case() {
  local defaults="$1" name="$2"
  shift 2
  CASE_ENV=() CASE_NEEDLES=() CASE_SECRETS=() CASE_ABSENT=() CASE_PROBLEMS=()
  while (($#)); do
    case "$1" in
      -e) CASE_ENV+=("$2"); shift 2 ;;
      -n) CASE_NEEDLES+=("$2"); shift 2 ;;
      -s) CASE_SECRETS+=("$2"); shift 2 ;;
      -x) CASE_ABSENT+=("$2"); shift 2 ;;
      --) shift; break ;;
      *) fail "bad $name: unknown table flag '$1'" ;;
    esac
  done
  ((${#CASE_NEEDLES[@]})) || fail "bad $name: a case must say what the message names (-n)"
  CASE_ARGS=()
  [[ "$defaults" == with-defaults ]] && CASE_ARGS=(--source "$S" --destination "$D")
  CASE_ARGS+=("$@")
  CASE_DIR="$TEST_TMP/case-$name"
  CASE_NAME="$name"
  covered+=" ${CASE_ARGS[*]} ${CASE_ENV[*]}"
  mkdir -p "$CASE_DIR"
  total=$((total + 1))
  run_case plain
  # A case that did not even exit 2 has failed; do not spend another timeout on it.
  [[ "$CASE_RC" == 2 ]] && run_case actions
  if ((${#CASE_PROBLEMS[@]})); then
    local summary
    summary="$(printf '%s; ' "${CASE_PROBLEMS[@]}")"
    failures+=("$name (ecr-mirror ${CASE_ARGS[*]:0:8}): ${summary%; }
    said: $(head -c 400 "$CASE_DIR/plain/stderr" | tr '\n' ' ')")
  else
    passed=$((passed + 1))
  fi
  return 0
}

# ---------------------------------------------------------------- the table
# Source references.
bad_raw source-missing          -n '--source' -- --destination "$D"
bad_raw source-empty            -n '--source' -- --source '' --destination "$D"
bad_raw source-blank-input      -n 'INPUT_SOURCE' -e 'INPUT_SOURCE=   ' -e "INPUT_DESTINATION=$D" --
bad_raw source-spaces           -n "$SH/library/my app:1.0" -- --source "$SH/library/my app:1.0" --destination "$D"
bad_raw source-double-colon     -n "'::'" -- --source '::' --destination "$D"
bad_raw source-trailing-slash   -n "$SH/library/app/" -- --source "$SH/library/app/" --destination "$D"
bad_raw source-url-scheme       -n "http://$SH/x" -- --source "http://$SH/x" --destination "$D"
bad_raw source-upper-case-repo  -n 'Library/App' -- --source "$SH/Library/App:1.0" --destination "$D"
bad_raw source-short-digest     -n 'sha256:short' -- --source "$SH/library/app@sha256:short" --destination "$D" --tags x
bad_raw source-digest-too-long  -n "sha256:${HEX}a" -- --source "$SH/library/app@sha256:${HEX}a" --destination "$D" --tags x
bad_raw source-upper-hex-digest -n "sha256:${HEX^^}" -- --source "$SH/library/app@sha256:${HEX^^}" --destination "$D" --tags x
bad_raw source-sha512-digest    -n 'sha512' -- --source "$SH/library/app@sha512:$HEX$HEX" --destination "$D" --tags x
bad_raw source-bad-tag-chars    -n 'bad!tag' -- --source "$SH/library/app:bad!tag" --destination "$D"
bad_raw source-tag-too-long     -n "app:$X126$X126" -- --source "$SH/library/app:$X126$X126" --destination "$D"
bad_raw source-port-too-big     -n '127.0.0.1:99999' -- --source '127.0.0.1:99999/library/app:1.0' --destination "$D"
bad_raw source-input-upper-case -n 'INPUT_SOURCE' -n 'Team/App' -e "INPUT_SOURCE=$SH/Team/App:1" -e "INPUT_DESTINATION=$D" --
# Destination repositories.
bad_raw destination-missing     -n '--destination' -- --source "$S"
bad_raw destination-with-tag    -n "$D:latest" -- --source "$S" --destination "$D:latest"
bad_raw destination-with-digest -n "$D@sha256:$HEX" -- --source "$S" --destination "$D@sha256:$HEX"
bad_raw destination-upper-case  -n 'Mirror/App' -- --source "$S" --destination "$DH/Mirror/App"
bad_raw destination-empty-part  -n "$DH/mirror//app" -- --source "$S" --destination "$DH/mirror//app"
bad_raw destination-too-long    -n "$DH/$X126$X126$X126" -- --source "$S" --destination "$DH/$X126$X126$X126"
bad_raw destination-input-tag   -n 'INPUT_DESTINATION' -n "$D:v1" -e "INPUT_SOURCE=$S" -e "INPUT_DESTINATION=$D:v1" --
# Tag templates.
bad tags-unknown-placeholder    -n '{unknown}' -- --tags '{tag},{unknown}'
bad tags-placeholder-case       -n '{Tag}' -- --tags '{Tag}'
bad tags-unbalanced-open        -n 'v{tag' -- --tags 'v{tag'
bad tags-unbalanced-close       -n 'v}tag' -- --tags 'v}tag'
bad tags-nested-brace           -n '{{tag}}' -- --tags '{{tag}}'
bad tags-bad-char               -n 'release/{tag}' -- --tags 'release/{tag}'
bad tags-leading-dash           -n '-{tag}' -- --tags '-{tag}'
bad tags-only-separators        -n '--tags' -- --tags ' , '
bad tags-always-too-long        -n '{digest}{digest}x' -- --tags '{digest}{digest}x'
# 126 + "1.0" = 129 characters: known before any request, since the source tag is known.
bad tags-renders-too-long       -n "$X126{tag}" -- --tags "$X126{tag}"
bad_raw tags-long-source-tag    -n '{tag}-{digest12}' -- --source "$SH/library/app:$X120" --destination "$D" --tags '{tag}-{digest12}'
bad_raw tags-tag-with-digest-source -n '{tag}' -- --source "$SH/library/app@sha256:$HEX" --destination "$D" --tags 'mirror-{tag}'
bad_raw tags-default-digest-source  -n '{tag}' -n "sha256:$HEX" -- --source "$SH/library/app@sha256:$HEX" --destination "$D"
bad tags-input-unknown          -n 'INPUT_TAGS' -n '{sha}' -e 'INPUT_TAGS={tag}-{sha}' --
# Platforms.
bad platforms-os-only           -n '"linux"' -- --platforms 'linux'
bad platforms-no-arch           -n '"linux/"' -- --platforms 'linux/amd64,linux/'
bad platforms-no-os             -n '"/amd64"' -- --platforms '/amd64'
bad platforms-empty-item        -n '--platforms' -n 'linux/amd64,,linux/arm64' -- --platforms 'linux/amd64,,linux/arm64'
bad platforms-only-commas       -n '--platforms' -- --platforms ',,'
bad referrers-unknown-mode      -n '--referrers' -n '"sometimes"' -n 'require' -- --referrers sometimes
bad referrer-types-not-a-type   -n '--referrer-types' -n '"notary"' -n 'media type' -- --referrer-types notary
bad referrer-types-empty-item   -n '--referrer-types' -- --referrer-types 'application/spdx+json,,text/plain'
bad platforms-too-many-parts    -n 'linux/arm/v7/x' -- --platforms 'linux/arm/v7/x'
bad platforms-input-bad         -n 'INPUT_PLATFORMS' -n 'windows' -e 'INPUT_PLATFORMS=linux/amd64,windows' --
# Booleans (flags take no value; INPUT_ values must be true/false/yes/no/1/0).
bad dry-run-maybe               -n 'INPUT_DRY-RUN' -n 'maybe' -e 'INPUT_DRY-RUN=maybe' --
bad force-perhaps               -n 'INPUT_FORCE' -n 'perhaps' -e 'INPUT_FORCE=perhaps' --
bad verbose-two                 -n 'INPUT_VERBOSE' -n '"2"' -e 'INPUT_VERBOSE=2' --
bad create-repository-on        -n 'INPUT_CREATE-REPOSITORY' -n 'on' -e 'INPUT_CREATE-REPOSITORY=on' --
bad dry-run-flag-with-value     -n '--dry-run' -- --dry-run=true
# Concurrency.
bad concurrency-zero            -n '--concurrency "0"' -- --concurrency 0
bad concurrency-65              -n '"65"' -- --concurrency 65
bad concurrency-abc             -n '"abc"' -- --concurrency abc
bad concurrency-negative        -n '"-1"' -- --concurrency -1
bad concurrency-huge            -n '"99999999999999999999"' -- --concurrency 99999999999999999999
bad concurrency-input           -n 'INPUT_CONCURRENCY' -n '"65"' -e 'INPUT_CONCURRENCY=65' --
# Insecure registries.
bad insecure-scheme             -n "http://$SH" -- --insecure-registries "http://$SH"
bad insecure-path               -n "$SH/v2" -- --insecure-registries "$DH,$SH/v2"
bad insecure-space              -n 'my host' -- --insecure-registries 'my host'
bad insecure-bad-port           -n 'localhost:70000' -- --insecure-registries 'localhost:70000'
# Registry credentials: a Basic user-id cannot contain ':' (RFC 7617 §2); a flag needs its value.
bad source-username-colon       -n '--source-username' -- --source-username 'bot:team' --source-password pw-unused-1234
bad destination-username-colon  -n '--destination-username' -- --destination-username 'bot:team' --destination-password pw-unused-5678
bad source-password-no-value    -n '--source-password' -- --source-password
bad destination-password-no-value -n '--destination-password' -- --destination-password --dry-run
# Docker config (root reads anything, so "unreadable" is a directory or a missing file).
bad docker-config-missing       -n "$cfg/nope.json" -- --docker-config "$cfg/nope.json"
bad docker-config-directory     -n "$cfg/implicit" -- --docker-config "$cfg/implicit"
bad docker-config-invalid-json  -n "$cfg/invalid.json" -n 'JSON' -- --docker-config "$cfg/invalid.json"
bad docker-config-not-base64    -n "$cfg/not-base64.json" -n 'base64' -s "$AUTH_SECRET" -- --docker-config "$cfg/not-base64.json"
bad docker-config-no-colon      -n "$cfg/no-colon.json" -n 'user:password' -- --docker-config "$cfg/no-colon.json"
bad docker-config-auths-array   -n "$cfg/auths-array.json" -n 'auths' -- --docker-config "$cfg/auths-array.json"
bad docker-config-entry-string  -n "$cfg/entry-string.json" -n "$SH" -- --docker-config "$cfg/entry-string.json"
bad docker-config-top-array     -n "$cfg/top-array.json" -- --docker-config "$cfg/top-array.json"
bad docker-config-implicit-bad  -n "$cfg/implicit/config.json" -e "DOCKER_CONFIG=$cfg/implicit" --
bad docker-config-input-missing -n 'INPUT_DOCKER-CONFIG' -n "$cfg/gone.json" -e "INPUT_DOCKER-CONFIG=$cfg/gone.json" --
# Output file.
bad output-file-no-dir          -n "$TEST_TMP/no-such-dir/out" -x "$TEST_TMP/no-such-dir" -- --output-file "$TEST_TMP/no-such-dir/out"
bad output-file-is-directory    -n "$TEST_TMP/outdir" -- --output-file "$TEST_TMP/outdir"
bad github-output-is-directory  -n 'GITHUB_OUTPUT' -n "$TEST_TMP/outdir" -e "GITHUB_OUTPUT=$TEST_TMP/outdir" --
bad output-file-input-no-dir    -n 'INPUT_OUTPUT-FILE' -n "$TEST_TMP/gone/out" -x "$TEST_TMP/gone" -e "INPUT_OUTPUT-FILE=$TEST_TMP/gone/out" --
# Timeouts.
bad connect-timeout-zero        -n '--connect-timeout "0"' -- --connect-timeout 0
bad connect-timeout-601         -n '"601"' -- --connect-timeout 601
bad stall-timeout-zero          -n '--stall-timeout "0"' -- --stall-timeout 0
bad stall-timeout-3601          -n '"3601"' -- --stall-timeout 3601
bad timeout-zero                -n '--timeout "0"' -- --timeout 0
bad timeout-86401               -n '"86401"' -- --timeout 86401
bad timeout-fraction            -n '"1.5"' -- --timeout 1.5
bad retry-time-3601             -n '"3601"' -- --retry-time 3601
bad retry-time-negative         -n '"-5"' -- --retry-time -5
bad timeout-input-words         -n 'INPUT_TIMEOUT' -n 'one hour' -e 'INPUT_TIMEOUT=one hour' --
# AWS.
bad role-wrong-partition        -n 'arn:gcp:iam::123456789012:role/mirror' -- --role-to-assume 'arn:gcp:iam::123456789012:role/mirror'
bad role-11-digit-account       -n 'arn:aws:iam::12345678901:role/mirror' -- --role-to-assume 'arn:aws:iam::12345678901:role/mirror'
bad role-is-a-user              -n 'arn:aws:iam::123456789012:user/mirror' -- --role-to-assume 'arn:aws:iam::123456789012:user/mirror'
bad role-no-name                -n 'arn:aws:iam::123456789012:role/"' -- --role-to-assume 'arn:aws:iam::123456789012:role/'
bad role-bare-name              -n '"mirror-role"' -- --role-to-assume 'mirror-role'
bad region-upper-case           -n 'US-EAST-1' -- --aws-region US-EAST-1
bad region-underscores          -n 'us_east_1' -- --aws-region us_east_1
bad region-no-number            -n '"us-east"' -- --aws-region us-east
bad session-name-too-short      -n '--role-session-name "a"' -- --role-session-name a
bad session-name-too-long       -n "$X126" -- --role-session-name "$X126"
bad session-name-bad-chars      -n 'bad name!' -- --role-session-name 'bad name!'
bad duration-899                -n '"899"' -- --role-duration-seconds 899
bad duration-43201              -n '"43201"' -- --role-duration-seconds 43201
bad duration-input-words        -n 'INPUT_ROLE-DURATION-SECONDS' -n '1h' -e 'INPUT_ROLE-DURATION-SECONDS=1h' --
bad audience-empty-flag         -n '--audience' -- --audience ''
bad destination-type-unknown    -n '"gcr"' -- --destination-type gcr
bad destination-type-input      -n 'INPUT_DESTINATION-TYPE' -n 'ECR Public' -e 'INPUT_DESTINATION-TYPE=ECR Public' --
# Repository settings for --create-repository (checked before any AWS call).
bad mutability-unknown          -n '"sometimes"' -- --image-tag-mutability sometimes
bad mutability-input            -n 'INPUT_IMAGE-TAG-MUTABILITY' -n 'frozen' -e 'INPUT_IMAGE-TAG-MUTABILITY=frozen' --
bad mutability-on-ecr-public    -n '--image-tag-mutability' -n 'ECR Public' -- --image-tag-mutability IMMUTABLE --destination-type ecr-public
bad exclusions-without-mode     -n '--immutable-tag-exclusions' -n 'IMMUTABLE_WITH_EXCLUSION' -- --immutable-tag-exclusions noble
bad exclusions-bad-filter       -n '"no/slash"' -- --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --immutable-tag-exclusions 'no/slash'
bad exclusions-too-many         -n '--immutable-tag-exclusions' -n '6 filters' -- --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --immutable-tag-exclusions 'a,b,c,d,e,f'
bad encryption-unknown          -n '"rot13"' -- --encryption rot13
bad kms-key-without-kms         -n '--kms-key' -n 'AES256' -- --kms-key alias/mirror
bad scan-on-push-words          -n '"maybe"' -- --scan-on-push maybe
bad lifecycle-missing-file      -n "$TEST_TMP/nope.json" -- --lifecycle-policy "$TEST_TMP/nope.json"
bad lifecycle-not-json          -n "$lc/not-json.json" -n 'not valid JSON' -- --lifecycle-policy "$lc/not-json.json"
bad lifecycle-bad-count-unit    -n 'rules[0].selection.countUnit' -- --lifecycle-policy "$lc/bad-unit.json"
bad lifecycle-any-not-last      -n 'highest rulePriority' -- --lifecycle-policy "$lc/any-first.json"
bad repository-tags-no-value    -n '"team"' -- --repository-tags team
bad repository-tags-aws-prefix  -n 'aws:x=1' -- --repository-tags 'aws:x=1'
bad description-too-long        -n '--repository-description' -n '1025 characters' -- --repository-description "$X1025"
bad about-too-long              -n 'INPUT_REPOSITORY-ABOUT' -n '25601 characters' -e "INPUT_REPOSITORY-ABOUT=$X25601" --
bad usage-too-long              -n '--repository-usage' -n '25601 characters' -- --repository-usage "$X25601"
# Many images: a config, its report, lock and plan files, shards (all checked before a request).
many="$TEST_TMP/many"
mkdir -p "$many"
printf 'defaults: {destination: "%s/m/{repo}"}\nimages: ["%s/library/app:1.0"]\n' "$D" "$SH" >"$many/good.yml"
printf 'defaults: {destination: "%s/m/{repo}"}\nimages:\n  - source: %s/library/app\n    semvr: "1"\n' "$D" "$SH" >"$many/typo.yml"
printf '{}\n' >"$many/plan.json"
bad command-unknown             -n '--command' -n '"sync"' -- --command sync
bad_raw config-missing-file     -n "$many/nope.yml" -- --config "$many/nope.yml"
bad_raw config-and-source       -n '--source' -n '--config' -- --config "$many/good.yml" --source "$SH/library/app:1.0"
bad_raw config-unknown-key      -n 'typo.yml:4: images[0].semvr' -- --config "$many/typo.yml"
bad report-file-without-config  -n '--report-file' -n '--config' -- --report-file "$many/r.json"
bad_raw report-file-no-dir      -n "$many/gone/r.json" -x "$many/gone" -- --config "$many/good.yml" --report-file "$many/gone/r.json"
bad_raw lock-file-no-dir        -n "$many/gone/l.json" -x "$many/gone" -- --config "$many/good.yml" --lock-file "$many/gone/l.json"
bad_raw locked-without-lock     -n '--locked' -n '--lock-file' -- --config "$many/good.yml" --locked
bad_raw shard-not-k-of-n        -n '--shard' -n '"3/2"' -- --config "$many/good.yml" --plan-file "$many/plan.json" --shard 3/2
bad_raw plan-file-missing       -n "$many/nope-plan.json" -- --config "$many/good.yml" --plan-file "$many/nope-plan.json" --shard 1/2
bad_raw plan-without-config     -n 'plan needs --config' -- plan
bad shards-zero                 -n '--shards "0"' -- --shards 0
bad parallel-images-33          -n '--parallel-images "33"' -- --parallel-images 33
bad_raw reports-missing-file    -n "$many/nope-report.json" -- report merge --report-file "$many/out.json" --reports "$many/nope-report.json"
# The command line itself.
bad unknown-option              -n '--frobnicate' -- --frobnicate
bad abbreviated-option          -n '--dest' -- --dest "$D"
bad stray-positional            -n '"extra"' -- extra
bad option-missing-value        -n '--tags' -- --tags
bad option-given-twice          -n '--concurrency' -- --concurrency 2 --concurrency 3

# Every option the program offers has at least one case, by flag or by INPUT_ variable.
while read -r option; do
  [[ "$covered" == *" --$option"* || "$covered" == *"INPUT_${option^^}="* ]] ||
    failures+=("no case covers --$option (add one to the table)")
done < <("$ECRM_BIN" --help | grep -oE '^  --[a-z0-9-]+' | sed 's/^  --//' | grep -vxE 'help|version')

log "slowest case that exited 2: $slowest_case, $slowest_ms ms"
printf 'bad input: %d cases, %d passed\n' "$total" "$passed"
if ((${#failures[@]})); then
  RUN_STDERR=""
  fail "$(printf '%s\n' "${#failures[@]} bad-input case(s) failed:" "${failures[@]}")"
fi

# ---------------------------------------------------------------- reachability is not bad input
# A registry on a closed port: exit 1 (a registry failure, not bad input), naming it.
closed="127.0.0.1:$(free_port)"
unreachable_args=(--retry-time 1 --connect-timeout 5)
run_mirror closed-source --source "$closed/library/app:1.0" --destination "$closed/mirror/app" \
  --insecure-registries "$closed" "${unreachable_args[@]}"
assert_rc 1 "source registry on a closed port"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$closed" "message for an unreachable source"

registry_start SRC plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 1 --layer-size 4096 --seed 18 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
run_mirror closed-destination --source "$SRC_ADDR/library/app:1.0" --destination "$closed/mirror/app" \
  --insecure-registries "$SRC_ADDR,$closed" "${unreachable_args[@]}"
assert_rc 1 "destination registry on a closed port"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$closed" "message for an unreachable destination"

pass
