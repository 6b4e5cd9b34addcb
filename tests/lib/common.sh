# shellcheck shell=bash
# Shared helpers for tests/integration/*.sh: suite temp dir, process tracking and cleanup,
# assertions, running ecr-mirror, reading its outputs, comparing images with skopeo.
#
# Exit codes follow ctest's convention for these suites: 0 pass, 1 fail, 77 skip.

if [[ -n "${ECRM_COMMON_SH_LOADED:-}" ]]; then
  return 0
fi
ECRM_COMMON_SH_LOADED=1

ECRM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Debian's python has python3-jwt/cryptography; the python3 on PATH may be a bare pyenv one.
PY=/usr/bin/python3
SUITE="${SUITE:-suite}"
TEST_TMP=""
# Seconds a background server may live at most, even if a suite dies without cleaning up.
ECRM_SERVER_LIFETIME="${ECRM_SERVER_LIFETIME:-600}"
_ECRM_PGIDS=()
# Filled by run_ecrm / run_mirror.
RUN_RC=0
RUN_OUT=""
RUN_STDOUT=""
RUN_STDERR=""

log() { printf '[%s] %s\n' "$SUITE" "$*" >&2; }

skip() {
  printf 'SKIP [%s]: %s\n' "$SUITE" "$*" >&2
  exit 77
}

fail() {
  printf 'FAIL [%s]: %s\n' "$SUITE" "$*" >&2
  if [[ -n "$RUN_STDERR" && -s "$RUN_STDERR" ]]; then
    printf -- '--- stderr of the last ecr-mirror run (%s), last 40 lines ---\n' "$RUN_STDERR" >&2
    tail -n 40 "$RUN_STDERR" >&2
  fi
  exit 1
}

pass() {
  printf 'PASS [%s]\n' "$SUITE" >&2
  exit 0
}

# suite_init NAME: temp dir, traps, an environment that cannot leak the caller's settings in.
suite_init() {
  SUITE="$1"
  TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/ecrm-it-${SUITE}.XXXXXX")" || skip "cannot create a temp dir"
  mkdir -p "$TEST_TMP/home"
  trap cleanup_all EXIT
  trap 'exit 130' INT TERM
  trap '_ecrm_on_error $LINENO "$BASH_COMMAND"' ERR
  # The runner's INPUT_* variables are inputs to ecr-mirror: none may come from the caller.
  local name
  while read -r name; do
    [[ -n "$name" ]] && unset "$name"
  done < <(compgen -e | grep -E '^INPUT_' || true)
  unset GITHUB_OUTPUT GITHUB_STEP_SUMMARY DOCKER_CONFIG REGISTRY_AUTH_FILE
}

# Only suites running with errexit die on a failed command; say which one.
_ecrm_on_error() {
  [[ $- == *e* ]] || return 0
  printf 'FAIL [%s]: command failed at line %s: %s\n' "$SUITE" "$1" "$2" >&2
}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (apt-get install it to run this suite)"
  done
  [[ -x "$PY" ]] || skip "$PY is missing"
  "$PY" -c 'import jwt, cryptography' 2>/dev/null ||
    skip "$PY lacks python3-jwt / python3-cryptography"
}

require_ecrm_bin() {
  [[ -n "${ECRM_BIN:-}" ]] || skip "ECRM_BIN is not set (ctest sets it to the built ecr-mirror)"
  [[ -x "$ECRM_BIN" ]] || skip "ECRM_BIN=$ECRM_BIN is not an executable file (build ecr-mirror first)"
}

# track_pgid PGID: a background process group that cleanup_all must stop.
track_pgid() { _ECRM_PGIDS+=("$1"); }

# stop_pgid PGID: TERM the group, wait at most 5 s, then KILL.
stop_pgid() {
  local pgid="$1" i
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

# start_bg LOGPREFIX CMD...: runs CMD in its own process group (so its children die with it),
# bounded by `timeout`; stdout/stderr go to LOGPREFIX.out/.err. Sets BG_PGID (not printed:
# a $(...) caller would run in a subshell and the group would escape tracking).
BG_PGID=""
start_bg() {
  local prefix="$1"
  shift
  # Without job control a background job is not a group leader, so setsid execs in place and
  # $! is the new group's id.
  setsid timeout --kill-after=5 "$ECRM_SERVER_LIFETIME" "$@" >>"$prefix.out" 2>>"$prefix.err" </dev/null &
  BG_PGID=$!
  track_pgid "$BG_PGID"
}

cleanup_all() {
  local rc=$?
  trap - ERR
  local pgid
  for pgid in "${_ECRM_PGIDS[@]}"; do
    stop_pgid "$pgid"
  done
  _ECRM_PGIDS=()
  if [[ -n "$TEST_TMP" && -d "$TEST_TMP" ]]; then
    if [[ -n "${ECRM_KEEP_TMP:-}" ]]; then
      log "kept $TEST_TMP (ECRM_KEEP_TMP is set)"
    else
      [[ $rc -ne 0 && $rc -ne 77 ]] && log "logs were in $TEST_TMP; rerun with ECRM_KEEP_TMP=1 to keep them"
      rm -rf "$TEST_TMP"
    fi
  fi
  exit "$rc"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; returns 1 when the time is up.
wait_until() {
  local seconds="$1" i
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------- assertions

assert_eq() {
  local expected="$1" actual="$2" what="${3:-value}"
  [[ "$expected" == "$actual" ]] || fail "$what: expected '$expected', got '$actual'"
}

assert_ne() {
  local unexpected="$1" actual="$2" what="${3:-value}"
  [[ "$unexpected" != "$actual" ]] || fail "$what: expected anything but '$unexpected'"
}

assert_contains() {
  local haystack="$1" needle="$2" what="${3:-text}"
  [[ "$haystack" == *"$needle"* ]] || fail "$what: expected to contain '$needle', got: $(printf '%s' "$haystack" | head -c 2000)"
}

assert_not_contains() {
  local haystack="$1" needle="$2" what="${3:-text}"
  [[ "$haystack" != *"$needle"* ]] || fail "$what: must not contain '$needle'"
}

assert_file_not_contains() {
  local file="$1" needle="$2" what="${3:-$1}"
  if grep -qF -- "$needle" "$file"; then
    fail "$what must not contain '$needle'"
  fi
}

# assert_secrets_unprinted LIST FILE...: no line of the file LIST (one secret a line; blank lines
# are dropped) appears in any FILE outside ::add-mask:: lines. An empty LIST would prove nothing,
# so it fails.
assert_secrets_unprinted() {
  local list="$1" file
  shift
  sed -i '/^$/d' "$list"
  [[ -s "$list" ]] || fail "no secrets collected: the leak check would prove nothing"
  for file in "$@"; do
    [[ -f "$file" ]] || continue
    if grep -v '^::add-mask::' "$file" | grep -qF -f "$list"; then
      fail "$(basename "$file") prints a secret outside ::add-mask:: lines"
    fi
  done
}

# The error ecr-mirror reported: the ::error command, or stderr from "error: " on.
error_text() {
  { grep '^::error' "$RUN_STDOUT" || true; sed -n '/^error: /,$p' "$RUN_STDERR"; } | sed 's/%0A/\n/g'
}

assert_rc() {
  local expected="$1" what="${2:-ecr-mirror}"
  [[ "$RUN_RC" == "$expected" ]] || fail "$what: exit code $RUN_RC, expected $expected"
}

# assert_same_set "a,b" "b,a" WHAT: comma-separated lists equal as sets.
assert_same_set() {
  local expected actual
  expected="$(tr ',' '\n' <<<"$1" | sed '/^$/d' | sort | paste -sd, -)"
  actual="$(tr ',' '\n' <<<"$2" | sed '/^$/d' | sort | paste -sd, -)"
  assert_eq "$expected" "$actual" "${3:-set}"
}

# ---------------------------------------------------------------- running ecr-mirror

# run_ecrm LABEL ARGS...: runs $ECRM_BIN with a private HOME (no stray ~/.docker/config.json),
# bounded by ECRM_RUN_TIMEOUT; sets RUN_RC, RUN_STDOUT, RUN_STDERR. Never fails by itself.
run_ecrm() {
  local label="$1"
  shift
  RUN_STDOUT="$TEST_TMP/$label.stdout"
  RUN_STDERR="$TEST_TMP/$label.stderr"
  RUN_RC=0
  log "run $label: ecr-mirror $*"
  HOME="$TEST_TMP/home" timeout --kill-after=5 "${ECRM_RUN_TIMEOUT:-120}" "$ECRM_BIN" "$@" \
    >"$RUN_STDOUT" 2>"$RUN_STDERR" </dev/null || RUN_RC=$?
  [[ $RUN_RC -eq 124 || $RUN_RC -eq 137 ]] && fail "$label: ecr-mirror timed out after ${ECRM_RUN_TIMEOUT:-120} s"
  log "run $label: exit $RUN_RC"
}

# run_mirror LABEL ARGS...: run_ecrm with a fresh --output-file; RUN_OUT is its path.
run_mirror() {
  local label="$1"
  shift
  RUN_OUT="$TEST_TMP/$label.outputs"
  : >"$RUN_OUT"
  run_ecrm "$label" "$@" --output-file "$RUN_OUT"
}

# read_output FILE NAME: the value of the last NAME=value (or NAME<<DELIM … DELIM) entry.
read_output() {
  local file="$1" name="$2"
  awk -v name="$name" '
    delim != "" { if ($0 == delim) { delim = ""; value = buf; found = 1 } else { buf = (lines++ ? buf "\n" : "") $0 } next }
    index($0, name "<<") == 1 { delim = substr($0, length(name) + 3); buf = ""; lines = 0; next }
    index($0, name "=") == 1 { value = substr($0, length(name) + 2); found = 1 }
    END { if (found) printf "%s", value; else exit 3 }
  ' "$file"
}

# output_or_fail NAME: read_output on RUN_OUT, failing when the output is absent.
output_or_fail() {
  local value
  value="$(read_output "$RUN_OUT" "$1")" || fail "output '$1' missing from $(cat "$RUN_OUT")"
  printf '%s' "$value"
}

# ---------------------------------------------------------------- images

# make_image DIR MAKE_IMAGE_ARGS...: writes an OCI layout and DIR/summary.json.
make_image() {
  local dir="$1"
  shift
  "$PY" "$ECRM_LIB_DIR/make_image.py" --out "$dir" "$@" >"$dir.summary.tmp" || fail "make_image.py $* failed"
  mv "$dir.summary.tmp" "$dir/summary.json"
}

summary() { jq -r "$2" "$1/summary.json"; }

# skopeo_raw REF [CREDS]: the manifest bytes at docker://REF over plain HTTP.
skopeo_raw() {
  local ref="$1" creds="${2:-}"
  local args=(inspect --raw --tls-verify=false)
  [[ -n "$creds" ]] && args+=(--creds "$creds")
  skopeo "${args[@]}" "docker://$ref"
}

sha256_digest() { printf 'sha256:%s' "$(sha256sum | cut -d' ' -f1)"; }

# ref_digest REF [CREDS]: digest of the manifest bytes the registry serves for REF.
ref_digest() {
  local raw
  raw="$(mktemp "$TEST_TMP/raw.XXXXXX")"
  skopeo_raw "$1" "${2:-}" >"$raw" || {
    rm -f "$raw"
    return 1
  }
  sha256_digest <"$raw"
  rm -f "$raw"
}

# repo_of REF: REF without its :tag or @digest.
repo_of() {
  local ref="${1%%@*}"
  local last="${ref##*/}"
  [[ "$last" == *:* ]] && ref="${ref%:*}"
  printf '%s' "$ref"
}

_is_index_media_type() {
  [[ "$1" == application/vnd.oci.image.index.v1+json || "$1" == application/vnd.docker.distribution.manifest.list.v2+json ]]
}

# assert_same_manifest SRC_REPO DST_REPO DIGEST [SRC_CREDS] [DST_CREDS] [DEPTH]: byte-identical
# manifest by digest on both sides, and for an index every child too (recursively).
# Blobs need no separate check: the registry refuses a manifest whose blobs it lacks, and blobs
# are content-addressed.
assert_same_manifest() {
  local src_repo="$1" dst_repo="$2" digest="$3" src_creds="${4:-}" dst_creds="${5:-}" depth="${6:-0}"
  local dir="$TEST_TMP/compare"
  mkdir -p "$dir"
  local a="$dir/src-${digest#sha256:}" b="$dir/dst-${digest#sha256:}"
  skopeo_raw "$src_repo@$digest" "$src_creds" >"$a" || fail "cannot read $src_repo@$digest"
  skopeo_raw "$dst_repo@$digest" "$dst_creds" >"$b" || fail "destination lacks $dst_repo@$digest"
  cmp -s "$a" "$b" || fail "manifest $digest differs between $src_repo and $dst_repo"
  assert_eq "$digest" "$(sha256_digest <"$b")" "digest of $dst_repo@$digest"
  _assert_same_children "$src_repo" "$dst_repo" "$b" "$src_creds" "$dst_creds" "$depth"
}

_assert_same_children() {
  local src_repo="$1" dst_repo="$2" file="$3" src_creds="$4" dst_creds="$5" depth="$6"
  local media_type child
  media_type="$(jq -r '.mediaType // ""' "$file")"
  _is_index_media_type "$media_type" || return 0
  ((depth < 4)) || fail "index nesting deeper than 4 levels at $dst_repo"
  while read -r child; do
    [[ -n "$child" ]] || continue
    assert_same_manifest "$src_repo" "$dst_repo" "$child" "$src_creds" "$dst_creds" $((depth + 1))
  done < <(jq -r '.manifests[].digest' "$file")
}

# assert_same_image SRC_REF DST_REF [SRC_CREDS] [DST_CREDS]: the index (or manifest) at DST_REF
# is byte-identical to SRC_REF, and so is every child manifest, recursively.
assert_same_image() {
  local src_ref="$1" dst_ref="$2" src_creds="${3:-}" dst_creds="${4:-}"
  local dir="$TEST_TMP/compare"
  mkdir -p "$dir"
  skopeo_raw "$src_ref" "$src_creds" >"$dir/top-src" || fail "cannot read $src_ref"
  skopeo_raw "$dst_ref" "$dst_creds" >"$dir/top-dst" || fail "cannot read $dst_ref"
  cmp -s "$dir/top-src" "$dir/top-dst" || fail "$dst_ref is not byte-identical to $src_ref"
  _assert_same_children "$(repo_of "$src_ref")" "$(repo_of "$dst_ref")" "$dir/top-dst" "$src_creds" "$dst_creds" 0
}
