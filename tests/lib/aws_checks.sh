# shellcheck shell=bash
# Checks shared by the tests/integration/aws_*.sh suites, on top of registry.sh and aws_env.sh:
# which AWS calls a run made, that no secret was printed, that secrets were masked in time, and
# registries that take ECR's credentials.
#
#   run_aws LABEL ARGS...        run_mirror; on failure fail() shows all that was printed
#   aws_mark                     later calls below see only what happened after the mark
#   aws_since JQ / aws_count JQ  request-log entries since the mark (no /_control entries)
#   aws_calls                    "service.Action,..." since the mark, in order (OIDC is oidc.token)
#   new_issued KIND              values aws_server.py issued since the mark (see aws_env.sh)
#   assert_no_secret_printed [EXTRA...]   nothing but ::add-mask:: lines may carry a secret
#   assert_masked_early WHAT SECRET...    masked before the first ordinary line
#   assert_masked WHAT SECRET...          masked at all
#   assert_run_masking           the run's OIDC, STS and ECR secrets masked (the first three early)
#   bearer_tokens_masked         how many registry bearer tokens were masked
#   registry_start_aws_basic NAME PASSWORD        Basic-auth registry whose only user is AWS
#   aws_suite_init NAME [TOOL...]  suite_init for an AWS suite: tools, botocore, a clean AWS env

# shellcheck source-path=SCRIPTDIR source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"
# shellcheck source-path=SCRIPTDIR source=aws_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/aws_env.sh"

AWS_MARK=0
RUN_RAW_STDERR=""

RUN_PRINTED=""

# run_aws LABEL ARGS...: run_mirror, then RUN_PRINTED names what the program printed on stdout
# and stderr but the ::add-mask:: lines. RUN_STDERR is pointed at it too, for fail() to show it
# (under GITHUB_ACTIONS=true ecr-mirror prints everything on stdout); RUN_RAW_STDERR keeps the
# real stderr.
run_aws() {
  local label="$1"
  run_mirror "$@"
  RUN_RAW_STDERR="$RUN_STDERR"
  RUN_PRINTED="$TEST_TMP/$label.printed"
  grep -hv '^::add-mask::' "$RUN_STDOUT" "$RUN_RAW_STDERR" >"$RUN_PRINTED" || true
  RUN_STDERR="$RUN_PRINTED"
}

aws_mark() {
  AWS_MARK="$(wc -l <"$AWS_SERVER_LOG")"
  issued_json >"$TEST_TMP/issued-before.json"
}

issued_json() { curl -sS --max-time 10 "$AWS_SERVER_URL/_issued"; }

aws_since() {
  tail -n "+$((AWS_MARK + 1))" "$AWS_SERVER_LOG" | jq -c "select(.service != \"control\") | $1"
}

aws_count() { aws_since "select($1)" | wc -l; }

aws_calls() { aws_since '.service + "." + (.action // "token")' | jq -r . | paste -sd, -; }

new_issued() {
  issued_json | jq -r --arg k "$1" --slurpfile before "$TEST_TMP/issued-before.json" \
    '.[$k] - $before[0][$k] | .[]'
}

# Every secret aws_server.py issued or accepted (its secrets file) and each EXTRA, searched in the
# last run's stdout, stderr, outputs and step summary once the ::add-mask:: lines are set aside:
# those lines are how the runner learns what to mask, so they must carry the secret.
assert_no_secret_printed() {
  local file filtered extra
  for file in "$RUN_STDOUT" "$RUN_RAW_STDERR" "$RUN_STDERR" "$RUN_OUT" "${GITHUB_STEP_SUMMARY:-}"; do
    [[ -n "$file" && -f "$file" ]] || continue
    filtered="$file.unmasked"
    grep -v '^::add-mask::' "$file" >"$filtered" || true
    aws_server_assert_no_secrets "$filtered"
    for extra in "$@"; do
      [[ -n "$extra" ]] || continue
      assert_file_not_contains "$filtered" "$extra" "$(basename "$file") (a registry password)"
    done
  done
}

_mask_line() { grep -nxF -- "::add-mask::$1" "$RUN_STDOUT" | head -n 1 | cut -d: -f1; }

# The first line that is neither ::add-mask:: nor a retry notice: a notice that STS is being
# retried is printed before the credentials it will return exist.
_first_plain_line() {
  local n
  n="$(grep -nvE '^(::add-mask::|Retrying )' "$RUN_STDOUT" | head -n 1 | cut -d: -f1)"
  printf '%s' "${n:-999999}"
}

assert_masked_early() {
  local what="$1" secret line first
  shift
  first="$(_first_plain_line)"
  for secret in "$@"; do
    line="$(_mask_line "$secret")"
    [[ -n "$line" ]] || fail "$what was never masked with ::add-mask::"
    ((line < first)) ||
      fail "$what is masked on line $line, after the first ordinary line ($first): $(sed -n "${first}p" "$RUN_STDOUT")"
  done
}

assert_masked() {
  local what="$1" secret
  shift
  for secret in "$@"; do
    [[ -n "$(_mask_line "$secret")" ]] || fail "$what was never masked with ::add-mask::"
  done
}

# The OIDC request token, the OIDC token and the STS credentials are in hand before ecr-mirror
# prints its first line, so they are masked before it; ECR passwords arrive later.
assert_run_masking() {
  local -a oidc secrets sessions passwords tokens
  mapfile -t oidc < <(new_issued oidc_tokens)
  mapfile -t secrets < <(new_issued secret_access_keys)
  mapfile -t sessions < <(new_issued session_tokens)
  mapfile -t passwords < <(new_issued ecr_passwords)
  mapfile -t tokens < <(new_issued ecr_authorization_tokens)
  if [[ -n "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]]; then
    assert_masked_early "the OIDC request token" "$ACTIONS_ID_TOKEN_REQUEST_TOKEN"
  fi
  assert_masked_early "the OIDC token" "${oidc[@]}"
  assert_masked_early "the STS secret access key" "${secrets[@]}"
  assert_masked_early "the STS session token" "${sessions[@]}"
  assert_masked "the ECR password" "${passwords[@]}"
  assert_masked "the ECR authorization token" "${tokens[@]}"
}

bearer_tokens_masked() {
  sed -n 's/^::add-mask:://p' "$RUN_STDOUT" | "$PY" -c '
import sys, jwt
n = 0
for line in sys.stdin:
    try:
        claims = jwt.decode(line.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        continue
    n += claims.get("iss") == "ecrm-test-issuer"
print(n)'
}

# A private ECR registry takes "AWS" and the GetAuthorizationToken password as Basic credentials
# on every request. distribution reads its htpasswd once and keeps one password per user, so the
# password is fixed: start aws_server.py with --ecr-passwords PASSWORD. Exports NAME_ADDR,
# NAME_LOG, NAME_DIR and NAME_CREDS=AWS:PASSWORD.
registry_start_aws_basic() {
  local name="$1" password="$2" dir
  dir="$TEST_TMP/registry-${name,,}"
  mkdir -p "$dir/data"
  htpasswd -Bbn AWS "$password" >"$dir/htpasswd" 2>/dev/null || fail "htpasswd failed"
  _registry_set "$name" USER AWS
  _registry_set "$name" CREDS "AWS:$password"
  _registry_serve "$name" "$dir" basic
}

# The start every suite that mirrors through the AWS stand-in shares: the tools it needs, botocore
# (aws_server.py verifies signatures with it), and none of the caller's AWS setup, so a run can
# only use the credentials the suite gives it; GITHUB_ACTIONS=true so masking is exercised.
aws_suite_init() {
  suite_init "$1"
  shift
  require_tools docker-registry skopeo jq curl "$@"
  require_ecrm_bin
  "$PY" -c 'import botocore' 2>/dev/null || skip "$PY lacks python3-botocore (aws_server.py verifies signatures with it)"
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME AWS_PROFILE AWS_ENDPOINT_URL AWS_REGION \
    AWS_DEFAULT_REGION
  export GITHUB_ACTIONS=true
}
