#!/usr/bin/env bash
# Invalid invocations exit 2 before any network work and name the offending value; an
# unreachable registry (closed port) exits 1 naming it.
# shellcheck disable=SC2153,SC2154 # SRC_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init bad_input
require_tools docker-registry skopeo jq curl
require_ecrm_bin

# A port with nothing listening: connection refused, never a hang.
closed="127.0.0.1:$(free_port)"
src="$closed/library/app:1.0"
dst="$closed/mirror/app"
hex64="$(printf '%064d' 0 | tr 0 a)"
config_dir="$TEST_TMP/docker-config"
mkdir -p "$config_dir"

failures=()
# case NAME NEEDLE ARGS...: ecr-mirror ARGS must exit 2 and print NEEDLE (the offending value).
case_usage() {
  local name="$1" needle="$2"
  shift 2
  run_mirror "usage-$name" "$@"
  local printed
  printed="$(cat "$RUN_STDERR" "$RUN_STDOUT")"
  if [[ "$RUN_RC" != 2 ]]; then
    failures+=("$name: exit $RUN_RC, expected 2 (args: $*); said: $(head -c 300 <<<"$printed")")
  elif [[ "$printed" != *"$needle"* ]]; then
    failures+=("$name: message does not name '$needle'; said: $(head -c 300 <<<"$printed")")
  fi
}

case_usage missing-source '--source' --destination "$dst"
case_usage missing-destination '--destination' --source "$src"
case_usage empty-source '--source' --source '' --destination "$dst"
case_usage upper-case-repo 'Library/App' --source "$closed/Library/App:1.0" --destination "$dst"
case_usage upper-case-destination 'Mirror/App' --source "$src" --destination "$closed/Mirror/App"
case_usage destination-with-tag 'mirror/app:latest' --source "$src" --destination "$closed/mirror/app:latest"
case_usage destination-with-digest "sha256:$hex64" --source "$src" --destination "$closed/mirror/app@sha256:$hex64"
case_usage short-digest 'sha256:1234' --source "$closed/library/app@sha256:1234" --destination "$dst"
case_usage non-hex-digest "sha256:$(printf '%064d' 0 | tr 0 z)" \
  --source "$closed/library/app@sha256:$(printf '%064d' 0 | tr 0 z)" --destination "$dst"
case_usage bad-tag-chars 'app:bad!tag' --source "$closed/library/app:bad!tag" --destination "$dst"
case_usage unknown-placeholder '{unknown}' --source "$src" --destination "$dst" --tags '{tag},{unknown}'
case_usage unbalanced-brace 'v{tag' --source "$src" --destination "$dst" --tags 'v{tag'
case_usage invalid-rendered-tag '-{tag}' --source "$src" --destination "$dst" --tags '-{tag}'
case_usage tag-needs-tag '{tag}' --source "$closed/library/app@sha256:$hex64" --destination "$dst"
case_usage concurrency-zero 'concurrency' --source "$src" --destination "$dst" --concurrency 0
case_usage concurrency-too-big '65' --source "$src" --destination "$dst" --concurrency 65
case_usage concurrency-not-number 'lots' --source "$src" --destination "$dst" --concurrency lots
case_usage insecure-with-scheme "http://$closed" --source "$src" --destination "$dst" --insecure-registries "http://$closed"
case_usage missing-docker-config "$config_dir/nope.json" --source "$src" --destination "$dst" \
  --docker-config "$config_dir/nope.json"
case_usage bad-platform 'windows' --source "$src" --destination "$dst" --platforms 'linux/amd64,windows'
case_usage unknown-option '--frobnicate' --source "$src" --destination "$dst" --frobnicate

# A concurrency of 0 must also show the value itself.
run_mirror usage-concurrency-zero-value --source "$src" --destination "$dst" --concurrency 0
[[ "$(cat "$RUN_STDERR" "$RUN_STDOUT")" =~ (^|[^0-9])0([^0-9]|$) ]] ||
  failures+=("concurrency-zero: message does not show the value 0")

if ((${#failures[@]})); then
  RUN_STDERR=""
  fail "$(printf '%s\n' "${#failures[@]} bad-input case(s) failed:" "${failures[@]}")"
fi
log "all usage cases exit 2 and name the offending value"

# Unreachable registries: exit 1 (a registry failure, not bad input) and the message names them.
unreachable_args=(--retry-time 5 --connect-timeout 5)
run_mirror closed-source --source "$src" --destination "$dst" --insecure-registries "$closed" "${unreachable_args[@]}"
assert_rc 1 "source registry on a closed port"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$closed" "message for an unreachable source"

registry_start SRC plain
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 1 --layer-size 4096 --seed 18 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
run_mirror closed-destination --source "$SRC_ADDR/library/app:1.0" --destination "$dst" \
  --insecure-registries "$SRC_ADDR,$closed" "${unreachable_args[@]}"
assert_rc 1 "destination registry on a closed port"
assert_contains "$(cat "$RUN_STDERR" "$RUN_STDOUT")" "$closed" "message for an unreachable destination"

pass
