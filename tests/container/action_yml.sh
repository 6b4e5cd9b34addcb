# shellcheck shell=bash
# Reads the inputs and outputs of action.yml without a YAML library (python3-yaml is not among
# the test dependencies). It accepts the block layout action.yml uses and nothing else, and fails
# loudly on anything it does not understand rather than guessing:
#
#   inputs:                     outputs:
#     NAME:                       NAME:
#       description: '...'          description: '...'
#       required: true|false
#       default: '...'            (scalars: plain, 'single' or "double" quoted, on one line)
#
#   action_inputs FILE    one line per input: NAME<TAB>REQUIRED<TAB>HAS_DEFAULT<TAB>DEFAULT
#   action_outputs FILE   one line per output: NAME
#   action_input_default FILE NAME   the default ('' when none)

_action_yml_parse() {
  local file="$1" want="$2"
  [[ -r "$file" ]] || {
    printf 'action_yml: cannot read %s\n' "$file" >&2
    return 1
  }
  awk -v want="$want" -v file="$file" '
    function die(msg) { printf "action_yml: %s:%d: %s: %s\n", file, NR, msg, $0 > "/dev/stderr"; bad = 1; exit 1 }
    function unquote(v) {
      sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
      if (v ~ /^'\''.*'\''$/) { v = substr(v, 2, length(v) - 2); gsub(/'\'''\''/, "'\''", v); return v }
      if (v ~ /^".*"$/) {
        v = substr(v, 2, length(v) - 2)
        if (v ~ /\\/) die("escapes in double-quoted scalars are not supported")
        return v
      }
      if (v ~ /^[>|]/) die("block scalars are not supported here")
      if (v ~ /^[{[&*!%@`]/) die("unquoted flow or special scalar")
      sub(/[ \t]+#.*$/, "", v)
      return v
    }
    function flush() {
      if (name == "") return
      if (section == "inputs") printf "%s\t%s\t%s\t%s\n", name, required, has_default, deflt
      else print name
      name = ""
    }
    /^[ \t]*#/ || /^[ \t]*$/ { next }
    /^[^ ]/ {
      flush()
      if (!match($0, /^[A-Za-z0-9_-]+:/)) die("unexpected top-level line")
      section = substr($0, 1, RLENGTH - 1)
      if (section == want && $0 !~ /^[A-Za-z0-9_-]+:[ \t]*(#.*)?$/) die("expected a block under " section)
      if (section == want) seen = 1
      next
    }
    section != want { next }
    /^  [^ ]/ {
      flush()
      if (!match($0, /^  [A-Za-z0-9_-]+:[ \t]*(#.*)?$/)) die("expected \"  NAME:\"")
      name = $0; sub(/^  /, "", name); sub(/:.*$/, "", name)
      if (name in names) die("duplicate " want " name " name)
      names[name] = 1
      required = "false"; has_default = "false"; deflt = ""
      next
    }
    /^    [^ ]/ {
      if (name == "") die("property outside an entry")
      if (!match($0, /^    [A-Za-z]+:/)) die("expected \"    key: value\"")
      key = substr($0, 5, RLENGTH - 5)
      value = unquote(substr($0, RLENGTH + 1))
      if (key == "description") { if (value == "") die("empty description") }
      else if (key == "required" && want == "inputs") {
        if (value != "true" && value != "false") die("required must be true or false")
        required = value
      } else if (key == "default" && want == "inputs") { has_default = "true"; deflt = value }
      else if (key == "deprecationMessage" && want == "inputs") { }
      else die("unknown key " key " for " want)
      next
    }
    { die("unexpected indentation") }
    END {
      if (bad) exit 1
      flush()
      if (!seen) { printf "action_yml: %s has no %s: block\n", file, want > "/dev/stderr"; exit 1 }
    }
  ' "$file"
}

action_inputs() { _action_yml_parse "$1" inputs; }
action_outputs() { _action_yml_parse "$1" outputs; }

action_input_default() {
  local file="$1" name="$2" line
  line="$(action_inputs "$file" | awk -F'\t' -v n="$name" '$1 == n')" || return 1
  [[ -n "$line" ]] || {
    printf 'action_yml: %s declares no input %s\n' "$file" "$name" >&2
    return 1
  }
  printf '%s' "$(cut -f4 <<<"$line")"
}
