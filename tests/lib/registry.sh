# shellcheck shell=bash
# Local registries for integration suites: Debian's docker-registry (distribution 2.8.2) on
# loopback, plain HTTP, with no auth, Basic (htpasswd) or token auth (tests/lib/token_server.py).
#
#   registry_start NAME MODE [--anonymous-pull] [--alg ES256] [--token-lifetime SECONDS]
#     MODE: plain | basic | token. --token-lifetime: bearer tokens live SECONDS (default 300), so
#     a run fetches tokens, and presents its registry credentials, all along.
#     exports (NAME upper-cased) NAME_ADDR=127.0.0.1:PORT, NAME_LOG (access log, one line per
#     request), NAME_DIR; basic/token: NAME_USER, NAME_PASS, NAME_CREDS=user:pass;
#     token: NAME_TOKEN_ADDR, NAME_TOKEN_LOG, NAME_USERS_FILE (user:password lines, re-read by
#     the token server on every request), NAME_SERVICE.
#   registry_mark NAME             later count_requests only see requests made after the mark
#   count_requests NAME METHOD URI_REGEX [STATUS_REGEX]
#   seed_image LAYOUT NAME REPO:TAG [REF_NAME]
#   proxy_start NAME UPSTREAM [slow_proxy.py options]   (see below)
#   ecr_personality_start NAME PRESET [ecr_proxy.py options]   (see below)
#
# ECRM_PERSONALITY=ecr-public|ecr (ctest's integration.SUITE@PRESET runs) puts the registry named
# DST behind an ECR personality as soon as it starts: DST_ADDR is then the personality, and
# count_requests DST counts what ecr-mirror sent it (its log; throttled requests left out), not
# what reached the registry.
#   cleanup_all (from common.sh) stops every registry and token server and removes the temp dir.

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_registry_var() { printf '%s_%s' "${1^^}" "$2"; }

_registry_set() {
  local var
  var="$(_registry_var "$1" "$2")"
  printf -v "$var" '%s' "$3"
  export "${var?}"
}

_registry_get() {
  local var
  var="$(_registry_var "$1" "$2")"
  printf '%s' "${!var:-}"
}

# The /v2/ endpoint answers 200 (no auth) or 401 (auth) once the registry is serving.
# _registry_answers ADDR [SCHEME]: a TLS registry is only asked whether it serves, not trusted.
_registry_answers() {
  local code
  code="$(curl -s -k -o /dev/null -w '%{http_code}' --max-time 1 "${2:-http}://$1/v2/" 2>/dev/null)" ||
    return 1
  [[ "$code" == 200 || "$code" == 401 ]]
}

_token_server_start() {
  local name="$1" dir="$2" anonymous="$3" alg="$4" lifetime="$5"
  local service="ecrm-test-${name,,}"
  local args=(--port 0 --port-file "$dir/token.port" --issuer ecrm-test-issuer --service "$service"
    --cert-out "$dir/token-root.pem" --users-file "$dir/users" --log "$dir/token.log"
    --alg "$alg" --expires-in "$lifetime" --max-seconds "$ECRM_SERVER_LIFETIME")
  [[ "$anonymous" == 1 ]] && args+=(--allow-anonymous-pull)
  start_bg "$dir/token-server" "$PY" "$ECRM_LIB_DIR/token_server.py" "${args[@]}"
  wait_until 10 test -s "$dir/token.port" || fail "token server for $name did not start: $(cat "$dir/token-server.err")"
  local addr
  addr="127.0.0.1:$(cat "$dir/token.port")"
  wait_until 10 curl -sf --max-time 1 -o /dev/null "http://$addr/healthz" ||
    fail "token server for $name does not answer on $addr"
  _registry_set "$name" TOKEN_ADDR "$addr"
  _registry_set "$name" TOKEN_LOG "$dir/token.log"
  _registry_set "$name" USERS_FILE "$dir/users"
  _registry_set "$name" SERVICE "$service"
}

_registry_write_config() {
  local dir="$1" port="$2" mode="$3" name="$4" tls
  tls="$(_registry_get "$name" TLS)"
  {
    cat <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ecrm-integration-test-secret
EOF
    if [[ -n "$tls" ]]; then
      cat <<EOF
  tls:
    certificate: $tls.crt
    key: $tls.key
EOF
    fi
    case "$mode" in
      basic)
        cat <<EOF
auth:
  htpasswd:
    realm: ecrm-test-basic
    path: $dir/htpasswd
EOF
        ;;
      token)
        cat <<EOF
auth:
  token:
    realm: http://$(_registry_get "$name" TOKEN_ADDR)/token
    service: $(_registry_get "$name" SERVICE)
    issuer: ecrm-test-issuer
    rootcertbundle: $dir/token-root.pem
EOF
        ;;
    esac
  } >"$dir/config.yml"
}

registry_start() {
  local name="$1" mode="$2"
  shift 2
  local anonymous=0 alg=RS256 lifetime=300
  while (($#)); do
    case "$1" in
      --anonymous-pull) anonymous=1 ;;
      --alg) alg="$2"; shift ;;
      --token-lifetime) lifetime="$2"; shift ;;
      # --tls PREFIX: serve HTTPS (and h2, which Go offers over TLS) with PREFIX.crt, the
      # certificate chain, and PREFIX.key.
      --tls) _registry_set "$name" TLS "$2"; shift ;;
      *) fail "registry_start: unknown option $1" ;;
    esac
    shift
  done
  [[ "$name" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || fail "registry_start: NAME must be an identifier, got '$name'"
  local dir="$TEST_TMP/registry-${name,,}"
  mkdir -p "$dir/data"

  case "$mode" in
    plain) ;;
    basic | token)
      local user="${name,,}-user" pass
      pass="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      _registry_set "$name" USER "$user"
      _registry_set "$name" PASS "$pass"
      _registry_set "$name" CREDS "$user:$pass"
      if [[ "$mode" == basic ]]; then
        # distribution only accepts bcrypt entries, and reads the file once at start.
        htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd" 2>/dev/null || fail "htpasswd failed"
      else
        printf '%s:%s\n' "$user" "$pass" >"$dir/users"
        _token_server_start "$name" "$dir" "$anonymous" "$alg" "$lifetime"
      fi
      ;;
    *) fail "registry_start: MODE must be plain, basic or token, got '$mode'" ;;
  esac

  _registry_serve "$name" "$dir" "$mode"
  if [[ "$name" == DST && -n "${ECRM_PERSONALITY:-}" ]]; then
    # ECRM_PERSONALITY_ARGS: ecr_proxy.py options a suite adds (word-split on purpose).
    # shellcheck disable=SC2086
    ecr_personality_start DST "$ECRM_PERSONALITY" ${ECRM_PERSONALITY_ARGS:-}
  fi
}

# _registry_serve NAME DIR MODE: starts docker-registry for a DIR whose auth files are ready
# (also used by aws_checks.sh for registries with fixed credentials).
_registry_serve() {
  local name="$1" dir="$2" mode="$3"
  # The port is free when picked but could be taken before the registry binds: retry then.
  local attempt port pgid
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    _registry_write_config "$dir" "$port" "$mode" "$name"
    : >"$dir/registry.out"
    : >"$dir/registry.err"
    # docker-registry writes its access log (combined format) on stdout, its own log on stderr.
    start_bg "$dir/registry" docker-registry serve "$dir/config.yml"
    pgid="$BG_PGID"
    local scheme=http
    [[ -n "$(_registry_get "$name" TLS)" ]] && scheme=https
    if wait_until 10 _registry_answers "127.0.0.1:$port" "$scheme"; then
      _registry_set "$name" ADDR "127.0.0.1:$port"
      _registry_set "$name" LOG "$dir/registry.out"
      _registry_set "$name" DIR "$dir"
      _registry_set "$name" MARK 0
      log "registry $name ($mode) on 127.0.0.1:$port"
      return 0
    fi
    stop_pgid "$pgid"
    if ! grep -q 'address already in use' "$dir/registry.err"; then
      fail "registry $name did not answer on 127.0.0.1:$port within 10 s: $(tail -n 5 "$dir/registry.err")"
    fi
    log "port $port was taken (attempt $attempt); retrying"
  done
  fail "registry $name: no free port after 5 attempts"
}

# registry_mark NAME: count_requests ignores the log lines written before this call.
registry_mark() {
  local log
  log="$(_registry_get "$1" ECR_LOG)"
  [[ -n "$log" ]] || log="$(_registry_get "$1" LOG)"
  [[ -n "$log" ]] || fail "registry_mark: no registry named $1"
  _registry_set "$1" MARK "$(wc -l <"$log")"
}

# personality: the ECR preset the destination runs behind ("" for plain distribution).
personality() { printf '%s' "${DST_PERSONALITY:-}"; }

# ecr_personality_start NAME PRESET [ecr_proxy.py options]: tests/lib/ecr_proxy.py in front of
# registry NAME (PRESET none: only the switches given or configured).
# NAME_ADDR becomes the personality's address (NAME_REGISTRY_ADDR keeps the
# registry's own), NAME_ECR_LOG its request log, NAME_ECR_CONFIG its settings file (JSON, re-read
# on change; see ecr_proxy.py), NAME_STORE_ADDR its object store. skopeo, the judge, is passed
# through untouched: it reads the registry as it is.
ecr_personality_start() {
  local name="$1" preset="$2"
  shift 2
  local upstream dir
  # A second personality for the same registry goes in front of the registry, not the first.
  upstream="$(_registry_get "$name" REGISTRY_ADDR)"
  [[ -n "$upstream" ]] || upstream="$(_registry_get "$name" ADDR)"
  [[ -n "$upstream" ]] || fail "ecr_personality_start: no registry named $name"
  dir="$TEST_TMP/ecr-${name,,}-$preset"
  mkdir -p "$dir"
  : >"$dir/requests.jsonl"
  printf '{}\n' >"$dir/config.json"
  local preset_args=(--preset "$preset")
  [[ "$preset" == none ]] && preset_args=()  # switches from --switch or the config only
  start_bg "$dir/proxy" "$PY" "$ECRM_LIB_DIR/ecr_proxy.py" --upstream "$upstream" "${preset_args[@]}" \
    --storage "$(_registry_get "$name" DIR)/data" \
    --config "$dir/config.json" --ready-file "$dir/ready.json" --log "$dir/requests.jsonl" \
    --max-seconds "$ECRM_SERVER_LIFETIME" "$@"
  wait_until 10 test -s "$dir/ready.json" || fail "ECR personality for $name did not start: $(cat "$dir/proxy.err")"
  local addr
  addr="127.0.0.1:$(jq -r .port "$dir/ready.json")"
  wait_until 10 _registry_answers "$addr" || fail "ECR personality for $name does not answer on $addr"
  _registry_set "$name" REGISTRY_ADDR "$upstream"
  _registry_set "$name" ADDR "$addr"
  _registry_set "$name" ECR_LOG "$dir/requests.jsonl"
  _registry_set "$name" ECR_CONFIG "$dir/config.json"
  _registry_set "$name" STORE_ADDR "127.0.0.1:$(jq -r .store_port "$dir/ready.json")"
  _registry_set "$name" PERSONALITY "$preset"
  _registry_set "$name" MARK 0
  log "ECR personality $preset for $name on $addr -> $upstream ($(jq -r '.switches | join(",")' "$dir/ready.json"))"
}

# referrers_front_start NAME [referrers_front.py options]: tests/lib/referrers_front.py in front
# of registry NAME, serving the referrers API from the registry's own storage. NAME_ADDR becomes
# the front's address (NAME_REGISTRY_ADDR keeps the registry's own: seed and judge there),
# NAME_FRONT_LOG its request log, NAME_FAIL_FILE the file whose existence fails referrers listing,
# NAME_CLOBBER_FILE the one that makes the next tag schema PUT be undone by a "concurrent writer",
# NAME_PAD_FILE the one (holding a number) that pads every list with that many bogus entries.
referrers_front_start() {
  local name="$1"
  shift
  local upstream dir
  upstream="$(_registry_get "$name" ADDR)"
  [[ -n "$upstream" ]] || fail "referrers_front_start: no registry named $name"
  dir="$TEST_TMP/front-${name,,}"
  mkdir -p "$dir"
  : >"$dir/requests.log"
  start_bg "$dir/front" "$PY" "$ECRM_LIB_DIR/referrers_front.py" --upstream "$upstream" \
    --storage "$(_registry_get "$name" DIR)/data" --port-file "$dir/port" --log "$dir/requests.log" \
    --fail-file "$dir/fail" --clobber-file "$dir/clobber" --pad-file "$dir/pad" --max-seconds "$ECRM_SERVER_LIFETIME" "$@"
  wait_until 10 test -s "$dir/port" || fail "referrers front for $name did not start: $(cat "$dir/front.err")"
  local addr
  addr="127.0.0.1:$(cat "$dir/port")"
  wait_until 10 _registry_answers "$addr" || fail "referrers front for $name does not answer on $addr"
  _registry_set "$name" REGISTRY_ADDR "$upstream"
  _registry_set "$name" ADDR "$addr"
  _registry_set "$name" FRONT_LOG "$dir/requests.log"
  _registry_set "$name" FAIL_FILE "$dir/fail"
  _registry_set "$name" CLOBBER_FILE "$dir/clobber"
  _registry_set "$name" PAD_FILE "$dir/pad"
  log "referrers front for $name on $addr -> $upstream"
}

# ecr_config NAME JSON: replaces the personality's settings (atomically; read per request).
ecr_config() {
  local file
  file="$(_registry_get "$1" ECR_CONFIG)"
  [[ -n "$file" ]] || fail "ecr_config: $1 has no ECR personality"
  jq -e . >/dev/null <<<"$2" || fail "ecr_config: not JSON: $2"
  printf '%s\n' "$2" >"$file.tmp" && mv "$file.tmp" "$file"
}

# ecr_count NAME JQ_CONDITION: personality log lines since the mark matching the condition.
ecr_count() {
  local log mark
  log="$(_registry_get "$1" ECR_LOG)"
  mark="$(_registry_get "$1" MARK)"
  tail -n "+$((mark + 1))" "$log" | jq -c "select($2)" | wc -l
}

# count_requests NAME METHOD URI_REGEX [STATUS_REGEX]: requests since the last mark whose method
# is METHOD (a regex too: 'GET|HEAD') and whose whole request URI (path and query) matches
# URI_REGEX (ERE, anchored at both ends), e.g. count_requests DST HEAD '/v2/mirror/app/manifests/.*'
# Reads the combined-format access log: 127.0.0.1 - - [date] "HEAD /v2/... HTTP/1.1" 200 0 "" "ua"
count_requests() {
  local name="$1" method="$2" uri_re="$3" status_re="${4:-.*}"
  local log mark
  log="$(_registry_get "$name" LOG)"
  mark="$(_registry_get "$name" MARK)"
  [[ -n "$log" ]] || fail "count_requests: no registry named $name"
  if [[ -n "$(_registry_get "$name" ECR_LOG)" ]]; then
    _count_personality_requests "$name" "$method" "$uri_re" "$status_re"
    return
  fi
  # bash's =~ (POSIX ERE, with intervals; Debian's mawk has none) on each field separately.
  local line method_f uri_f status_f n=0
  local request_re='"([A-Z]+) ([^ ]+) HTTP/[0-9.]+" ([0-9]+) '
  while IFS= read -r line; do
    [[ "$line" =~ $request_re ]] || continue
    method_f="${BASH_REMATCH[1]}" uri_f="${BASH_REMATCH[2]}" status_f="${BASH_REMATCH[3]}"
    [[ "$method_f" =~ ^(${method})$ && "$uri_f" =~ ^(${uri_re})$ && "$status_f" =~ ^(${status_re})$ ]] && n=$((n + 1))
  done < <(tail -n "+$((mark + 1))" "$log")
  printf '%s\n' "$n"
}

# What ecr-mirror sent to an ECR personality (not the judge's requests, not the object store's),
# less the requests its throttle switch answered 429: each is sent again, and a preset throttles
# every Nth request of the run, so counting them would make exact counts depend on the order.
_count_personality_requests() {
  local name="$1" method="$2" uri_re="$3" status_re="$4" log mark n=0 method_f uri_f status_f
  log="$(_registry_get "$name" ECR_LOG)"
  mark="$(_registry_get "$name" MARK)"
  while IFS=$'\t' read -r method_f uri_f status_f; do
    [[ "$method_f" =~ ^(${method})$ && "$uri_f" =~ ^(${uri_re})$ && "$status_f" =~ ^(${status_re})$ ]] && n=$((n + 1))
  done < <(tail -n "+$((mark + 1))" "$log" | jq -r 'select(.at == "proxy" and (.judge | not) and .switch != "throttle") | [.method, .path, (.status // "none" | tostring)] | @tsv')
  printf '%s\n' "$n"
}

# requests_since_mark NAME: the access log lines after the mark (for failure messages).
requests_since_mark() {
  local log mark
  if [[ -n "$(_registry_get "$1" ECR_LOG)" ]]; then
    log="$(_registry_get "$1" ECR_LOG)"
    mark="$(_registry_get "$1" MARK)"
    tail -n "+$((mark + 1))" "$log" | jq -r 'select(.at == "proxy" and (.judge | not)) | "\(.method) \(.path) \(.status) \(.switch // "")"'
    return
  fi
  log="$(_registry_get "$1" LOG)"
  mark="$(_registry_get "$1" MARK)"
  tail -n "+$((mark + 1))" "$log" | sed -E 's/^.*\] "([^"]*)" ([0-9]+).*/\1 \2/'
}

# assert_requests NAME METHOD URI_REGEX EXPECTED [STATUS_REGEX]
assert_requests() {
  local name="$1" method="$2" uri_re="$3" expected="$4" status_re="${5:-.*}" actual
  actual="$(count_requests "$name" "$method" "$uri_re" "$status_re")"
  [[ "$actual" == "$expected" ]] ||
    fail "registry $name: $actual '$method $uri_re' requests (status $status_re), expected $expected; requests since mark:
$(requests_since_mark "$name" | head -n 60)"
}

# seed_image LAYOUT NAME REPO:TAG [REF_NAME]: pushes the layout's image to registry NAME and
# checks the registry serves the index unchanged. skopeo copy --all for OCI layouts; skopeo 1.9
# cannot copy nested indexes nor find Docker media types in index.json, so those go through
# push_layout.py.
seed_image() {
  local layout="$1" name="$2" target="$3" ref_name="${4:-}"
  local addr creds media_type nested
  addr="$(_registry_get "$name" ADDR)"
  creds="$(_registry_get "$name" CREDS)"
  [[ -n "$addr" ]] || fail "seed_image: no registry named $name"
  [[ -n "$ref_name" ]] || ref_name="$(summary "$layout" .tag)"
  media_type="$(summary "$layout" .index_media_type)"
  nested="$(summary "$layout" '[.children[] | select(.kind == "index")] | length')"
  if [[ "$media_type" == application/vnd.oci.image.index.v1+json && "$nested" == 0 ]]; then
    local args=(copy --quiet --all --dest-tls-verify=false)
    [[ -n "$creds" ]] && args+=(--dest-creds "$creds")
    skopeo "${args[@]}" "oci:$layout:$ref_name" "docker://$addr/$target" >"$TEST_TMP/seed.log" 2>&1 ||
      fail "seeding $addr/$target with skopeo failed: $(tail -n 5 "$TEST_TMP/seed.log")"
  else
    local args=(--layout "$layout" --ref-name "$ref_name" --dest "$addr/$target")
    [[ -n "$creds" ]] && args+=(--creds "$creds")
    "$PY" "$ECRM_LIB_DIR/push_layout.py" "${args[@]}" >"$TEST_TMP/seed.log" 2>&1 ||
      fail "seeding $addr/$target with push_layout.py failed: $(tail -n 5 "$TEST_TMP/seed.log")"
  fi
  local served expected
  served="$(ref_digest "$addr/$target" "$creds")" || fail "seeded $addr/$target but cannot read it back"
  expected="$(summary "$layout" .index_digest)"
  assert_eq "$expected" "$served" "digest of seeded $addr/$target"
}

# proxy_start NAME UPSTREAM [slow_proxy.py options]: a forwarding proxy in front of registry
# UPSTREAM that delays blob downloads; exports NAME_ADDR and NAME_PROXY_LOG (a line per request
# as it arrives: "<time> START GET /v2/...", and "END" when answered).
proxy_start() {
  local name="$1" upstream="$2"
  shift 2
  local upstream_addr dir
  upstream_addr="$(_registry_get "$upstream" ADDR)"
  [[ -n "$upstream_addr" ]] || fail "proxy_start: no registry named $upstream"
  dir="$TEST_TMP/proxy-${name,,}"
  mkdir -p "$dir"
  : >"$dir/requests.log"
  start_bg "$dir/proxy" "$PY" "$ECRM_LIB_DIR/slow_proxy.py" --upstream "$upstream_addr" \
    --port-file "$dir/port" --log "$dir/requests.log" --max-seconds "$ECRM_SERVER_LIFETIME" "$@"
  wait_until 10 test -s "$dir/port" || fail "proxy $name did not start: $(cat "$dir/proxy.err")"
  local addr
  addr="127.0.0.1:$(cat "$dir/port")"
  wait_until 10 _registry_answers "$addr" || fail "proxy $name does not answer on $addr"
  _registry_set "$name" ADDR "$addr"
  _registry_set "$name" PROXY_LOG "$dir/requests.log"
  log "proxy $name on $addr -> $upstream_addr"
}
