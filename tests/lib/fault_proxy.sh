# shellcheck shell=bash
# Starting tests/lib/fault_proxy.py from a suite and driving it.
#
#   fault_proxy_start NAME UPSTREAM [--token-upstream ADDR] [--dir DIR] [--label LABEL]
#     A proxy in front of UPSTREAM (host:port); with --token-upstream, /token goes there and the
#     registry's realm is rewritten to the proxy. Proxies started with the same --dir share one
#     rules file (DIR/rules.json), one request log (DIR/requests.jsonl) and one list of secrets
#     seen passing (DIR/secrets); default DIR is $TEST_TMP/fault-<name>. LABEL (default: name in
#     lower case) tags the proxy's log lines and is what a rule's "label" matches.
#     Exports NAME_ADDR (127.0.0.1:port), NAME_FAULT_DIR, NAME_REDIRECT (127.0.0.2:port, or empty
#     when 127.0.0.2 is not bindable).
#   fault_rules DIR JSON        replace the rules (atomically; the proxies re-read per request)
#   fault_log_mark DIR          prints the log's line count, for fault_log_count's MARK
#   fault_log_count DIR MARK KIND [JQ_CONDITION]   log lines after MARK for KIND
#   cleanup_all (common.sh) stops the proxies.

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

fault_proxy_start() {
  local name="$1" upstream="$2"
  shift 2
  local dir="$TEST_TMP/fault-${name,,}" label="${name,,}" token=""
  while (($#)); do
    case "$1" in
      --token-upstream) token="$2"; shift ;;
      --dir) dir="$2"; shift ;;
      --label) label="$2"; shift ;;
      *) fail "fault_proxy_start: unknown option $1" ;;
    esac
    shift
  done
  [[ "$name" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || fail "fault_proxy_start: NAME must be an identifier, got '$name'"
  mkdir -p "$dir"
  [[ -f "$dir/rules.json" ]] || printf '{"case": "none", "rules": []}\n' >"$dir/rules.json"
  touch "$dir/requests.jsonl" "$dir/secrets"
  local ready="$dir/$label.ready"
  rm -f "$ready"
  local args=(--label "$label" --upstream "$upstream" --ready-file "$ready" --rules "$dir/rules.json"
    --log "$dir/requests.jsonl" --secrets-out "$dir/secrets" --max-seconds "$ECRM_SERVER_LIFETIME")
  [[ -n "$token" ]] && args+=(--token-upstream "$token")
  start_bg "$dir/$label" "$PY" "$ECRM_LIB_DIR/fault_proxy.py" "${args[@]}"
  wait_until 10 test -s "$ready" || fail "fault proxy $name did not start: $(cat "$dir/$label.err")"
  local port redirect_port
  port="$(jq -r .port "$ready")"
  redirect_port="$(jq -r '.redirect_port // ""' "$ready")"
  printf -v "${name^^}_ADDR" '127.0.0.1:%s' "$port"
  printf -v "${name^^}_FAULT_DIR" '%s' "$dir"
  printf -v "${name^^}_REDIRECT" '%s' "${redirect_port:+127.0.0.2:$redirect_port}"
  export "${name^^}_ADDR" "${name^^}_FAULT_DIR" "${name^^}_REDIRECT"
  log "fault proxy $name on 127.0.0.1:$port -> $upstream${token:+ (token server $token)}"
}

fault_rules() {
  local dir="$1" json="$2"
  jq -e . >/dev/null <<<"$json" || fail "fault_rules: not JSON: $json"
  printf '%s\n' "$json" >"$dir/rules.json.tmp" || fail "fault_rules: cannot write $dir"
  mv "$dir/rules.json.tmp" "$dir/rules.json" || fail "fault_rules: cannot install the rules in $dir"
}

fault_log_mark() { wc -l <"$1/requests.jsonl"; }

fault_log_count() {
  local dir="$1" mark="$2" kind="$3" condition="${4:-true}"
  tail -n "+$((mark + 1))" "$dir/requests.jsonl" |
    jq -c --arg k "$kind" "select(.kind == \$k) | select($condition)" | wc -l
}
