# shellcheck shell=bash
# Sourced by tests: starts tests/lib/aws_server.py (GitHub OIDC, STS, ECR Public, ECR on
# loopback) and points the runner's and the AWS SDKs' environment variables at it.
#
#   aws_server_start [aws_server.py flags...]   e.g. --users-file F --ecr-expires-in 5;
#                                               --registry-root DIR (a registry's storage) lets
#                                               BatchCheckLayerAvailability see what it holds
#   aws_scenario '{"sts_fail": ["Throttling"]}' apply a scenario (see aws_server/scenario.py)
#   aws_server_issued KIND                      issued values, one a line (oidc_tokens,
#                                               access_key_ids, secret_access_keys,
#                                               session_tokens, ecr_passwords,
#                                               ecr_authorization_tokens)
#   aws_server_assert_no_secrets FILE...        fails when any issued secret occurs in a FILE
#   aws_server_requests FILTER                  jq FILTER over the request log, e.g.
#                                               'select(.action == "CreateRepository")'
#   aws_server_stop
#
# After aws_server_start: AWS_SERVER_URL, AWS_SERVER_LOG (JSON lines, no secrets),
# AWS_SERVER_SECRETS (every secret issued, one a line), AWS_SERVER_DIR, AWS_SERVER_PID,
# ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN and AWS_ENDPOINT_URL_{STS,ECR_PUBLIC,ECR} are exported.
# When common.sh is loaded the server's process group is tracked, so cleanup_all stops it
# even if a suite exits early.

AWS_SERVER_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AWS_SERVER_PY="${AWS_SERVER_PY:-/usr/bin/python3}"
_AWS_SERVER_OWN_DIR=""

_aws_fail() {
  if declare -F fail >/dev/null; then
    fail "$*"
  fi
  printf 'aws_env.sh: %s\n' "$*" >&2
  return 1
}

aws_server_start() {
  if [[ -n "${AWS_SERVER_PID:-}" ]]; then
    _aws_fail "aws_server_start: a server (pid $AWS_SERVER_PID) is already running"
    return 1
  fi
  if [[ -n "${TEST_TMP:-}" && -d "$TEST_TMP" ]]; then
    AWS_SERVER_DIR="$(mktemp -d "$TEST_TMP/aws-server.XXXXXX")"
  else
    AWS_SERVER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/aws-server.XXXXXX")"
    _AWS_SERVER_OWN_DIR="$AWS_SERVER_DIR"
  fi
  AWS_SERVER_LOG="$AWS_SERVER_DIR/requests.jsonl"
  AWS_SERVER_SECRETS="$AWS_SERVER_DIR/secrets.txt"
  : >"$AWS_SERVER_LOG"
  : >"$AWS_SERVER_SECRETS"
  local request_token
  request_token="gha-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
  local lifetime="${AWS_SERVER_MAX_SECONDS:-${ECRM_SERVER_LIFETIME:-1800}}"
  # The newest AWS API models on this machine (the pyenv Python's botocore) validate requests:
  # Debian's botocore 1.29 predates ECR's tag-mutability exclusion filters.
  if [[ -z "${ECRM_BOTOCORE_DATA+x}" ]]; then
    ECRM_BOTOCORE_DATA="$(python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))' 2>/dev/null || true)"
    export ECRM_BOTOCORE_DATA
  fi
  # setsid: its own process group, so a stop (or common.sh's cleanup) reaches every thread.
  setsid "$AWS_SERVER_PY" "$AWS_SERVER_LIB_DIR/aws_server.py" --port 0 \
    --ready-file "$AWS_SERVER_DIR/ready.json" --log "$AWS_SERVER_LOG" \
    --secrets-file "$AWS_SERVER_SECRETS" --oidc-request-token "$request_token" \
    --max-seconds "$lifetime" "$@" \
    >"$AWS_SERVER_DIR/server.out" 2>"$AWS_SERVER_DIR/server.err" </dev/null &
  AWS_SERVER_PID=$!
  if declare -F track_pgid >/dev/null; then
    track_pgid "$AWS_SERVER_PID"
  fi
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s "$AWS_SERVER_DIR/ready.json" ]] && break
    if ! kill -0 "$AWS_SERVER_PID" 2>/dev/null; then
      cat "$AWS_SERVER_DIR/server.err" >&2
      AWS_SERVER_PID=""
      _aws_fail "aws_server.py exited before it was ready"
      return 1
    fi
    sleep 0.05
  done
  AWS_SERVER_URL="$(sed -n 's/.*"url": "\([^"]*\)".*/\1/p' "$AWS_SERVER_DIR/ready.json")"
  if [[ -z "$AWS_SERVER_URL" ]]; then
    aws_server_stop
    _aws_fail "aws_server.py was not ready within 15 s"
    return 1
  fi
  export AWS_SERVER_URL AWS_SERVER_LOG AWS_SERVER_SECRETS AWS_SERVER_DIR AWS_SERVER_PID
  export ACTIONS_ID_TOKEN_REQUEST_URL="$AWS_SERVER_URL/oidc/token?api-version=2.0"
  export ACTIONS_ID_TOKEN_REQUEST_TOKEN="$request_token"
  export AWS_ENDPOINT_URL_STS="$AWS_SERVER_URL"
  export AWS_ENDPOINT_URL_ECR_PUBLIC="$AWS_SERVER_URL"
  export AWS_ENDPOINT_URL_ECR="$AWS_SERVER_URL"
}

aws_server_stop() {
  if [[ -n "${AWS_SERVER_PID:-}" ]]; then
    kill -TERM -- "-$AWS_SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      kill -0 -- "-$AWS_SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$AWS_SERVER_PID" 2>/dev/null || true
    wait "$AWS_SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$_AWS_SERVER_OWN_DIR" && -z "${ECRM_KEEP_TMP:-}" ]]; then
    rm -rf "$_AWS_SERVER_OWN_DIR"
  fi
  _AWS_SERVER_OWN_DIR=""
  unset AWS_SERVER_PID AWS_SERVER_URL ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN
  unset AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_ECR_PUBLIC AWS_ENDPOINT_URL_ECR
}

aws_scenario() {
  local reply
  reply="$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    --data-binary "$1" "$AWS_SERVER_URL/_control" -w '\n%{http_code}')" ||
    { _aws_fail "aws_scenario: cannot reach $AWS_SERVER_URL"; return 1; }
  if [[ "${reply##*$'\n'}" != 200 ]]; then
    _aws_fail "aws_scenario rejected: ${reply%$'\n'*}"
    return 1
  fi
}

aws_server_issued() {
  curl -sS --max-time 10 "$AWS_SERVER_URL/_issued" | jq -r --arg k "$1" '.[$k][]'
}

aws_server_requests() {
  jq -c "${1:-.}" "$AWS_SERVER_LOG"
}

aws_server_assert_no_secrets() {
  local file secret
  [[ -s "$AWS_SERVER_SECRETS" ]] || { _aws_fail "no secrets recorded in $AWS_SERVER_SECRETS"; return 1; }
  for file in "$@"; do
    while IFS= read -r secret; do
      [[ -n "$secret" ]] || continue
      if grep -qF -- "$secret" "$file"; then
        _aws_fail "$file contains a secret issued by aws_server.py (one of ${#secret} characters)"
        return 1
      fi
    done <"$AWS_SERVER_SECRETS"
  done
}
