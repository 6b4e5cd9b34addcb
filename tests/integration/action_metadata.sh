#!/usr/bin/env bash
# action.yml, the program and README.md name the same inputs and outputs:
#   - action.yml's inputs are exactly the long options of `ecr-mirror --help`; none is required
#     (source and destination are, unless config is given: the program says so); each default is
#     the program's (or '' where the program computes it at run time);
#   - README.md's "## Inputs" and "## Outputs" tables list exactly action.yml's inputs/outputs;
#   - action.yml's outputs are exactly what a real run writes to the outputs file;
#   - runs: is a Docker action built from the Dockerfile (or a pinned docker:// image), without
#     args:, and the Dockerfile has neither USER nor WORKDIR (the runner needs both its own way).
# A README without those tables fails: the tables are part of what users read.
# shellcheck disable=SC2154 # SRC_ADDR/DST_ADDR are exported by registry_start
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/registry.sh
source "$HERE/../lib/registry.sh"
# shellcheck source=../container/action_yml.sh
source "$HERE/../container/action_yml.sh"
suite_init action_metadata
require_ecrm_bin
ROOT="${ECRM_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}"
ACTION="$ROOT/action.yml"
README="$ROOT/README.md"
EXPECTED_OUTPUTS="changed,image,images-failed,matrix,mirrored-digest,referrers-pushed,source-digest,tags-pushed"
[[ -f "$ACTION" ]] || fail "$ACTION does not exist"

# sorted_lines: stdin lines, sorted, blank lines dropped, joined with commas.
sorted_list() { sed '/^$/d' | sort | paste -sd, -; }

# same_names WHAT EXPECTED_LIST ACTUAL_LIST: fails naming what is missing and what is extra.
same_names() {
  local what="$1" expected="$2" actual="$3" missing extra
  [[ "$expected" == "$actual" ]] && return 0
  missing="$(comm -23 <(tr ',' '\n' <<<"$expected") <(tr ',' '\n' <<<"$actual") | paste -sd' ' -)"
  extra="$(comm -13 <(tr ',' '\n' <<<"$expected") <(tr ',' '\n' <<<"$actual") | paste -sd' ' -)"
  fail "$what: missing [${missing}] extra [${extra}]"
}

# ---------------------------------------------------------------- action.yml vs the program

inputs_tsv="$TEST_TMP/inputs.tsv"
action_inputs "$ACTION" >"$inputs_tsv" || fail "cannot parse the inputs of $ACTION"
"$ECRM_BIN" --help >"$TEST_TMP/help.txt" || fail "ecr-mirror --help failed"
# "  --name ARG   Description (default: X)" or "(required)"; --help and --version are not inputs.
sed -nE 's/^  --([a-z0-9-]+)( [A-Z]+)?[[:space:]].*$/\1/p' "$TEST_TMP/help.txt" |
  grep -vxE 'help|version' >"$TEST_TMP/options.txt" || true
[[ "$(wc -l <"$TEST_TMP/options.txt")" -ge 10 ]] ||
  fail "could not read the options from ecr-mirror --help: $(head -n 20 "$TEST_TMP/help.txt")"
options="$(sorted_list <"$TEST_TMP/options.txt")"
inputs="$(cut -f1 "$inputs_tsv" | sorted_list)"
same_names "action.yml inputs vs ecr-mirror --help options" "$options" "$inputs"
log "action.yml declares the program's $(wc -l <"$TEST_TMP/options.txt") options as inputs"

while IFS=$'\t' read -r name required has_default default; do
  line="$(grep -E "^  --$name( [A-Z]+)?[[:space:]]" "$TEST_TMP/help.txt")"
  if [[ "$line" == *"(required)" ]]; then
    assert_eq true "$required" "action.yml: required of input $name"
    assert_eq false "$has_default" "action.yml: input $name is required and must have no default"
    continue
  fi
  assert_eq false "$required" "action.yml: required of input $name"
  program_default="$(sed -nE 's/.*\(default: (.*)\)$/\1/p' <<<"$line")"
  [[ -n "$program_default" ]] || fail "ecr-mirror --help gives no default for --$name: $line"
  # Run-time defaults ("none", "$GITHUB_OUTPUT, else stdout") are the program's to compute: the
  # input must then be empty, which the program reads as unset.
  if [[ "$program_default" == none || "$program_default" == *'$'* || "$program_default" == *' '* ]]; then
    assert_eq "" "$default" "action.yml: default of input $name (the program computes '$program_default')"
  else
    assert_eq true "$has_default" "action.yml: input $name has no default (the program's is '$program_default')"
    assert_eq "$program_default" "$default" "action.yml: default of input $name"
  fi
done <"$inputs_tsv"

# Cross-check the little parser against a real YAML parser where one is installed (Debian's
# awscli brings ruamel.yaml; python3-yaml often comes along with other tools).
if "$PY" -c 'import yaml' 2>/dev/null || "$PY" -c 'import ruamel.yaml' 2>/dev/null; then
  "$PY" - "$ACTION" >"$TEST_TMP/yaml-view.tsv" <<'PYEOF' || fail "a YAML parser rejects $ACTION"
import sys
try:
    import yaml
    doc = yaml.safe_load(open(sys.argv[1]))
except ImportError:
    from ruamel.yaml import YAML
    doc = YAML(typ="safe").load(open(sys.argv[1]))
for name, spec in doc["inputs"].items():
    has = "default" in spec
    print("\t".join([name, str(bool(spec.get("required", False))).lower(), str(has).lower(),
                     str(spec.get("default", "")) if has else ""]))
print("outputs\t" + ",".join(sorted(doc["outputs"])))
print("runs\t" + doc["runs"]["using"] + "\t" + doc["runs"]["image"] + "\t" + str("args" in doc["runs"]))
PYEOF
  grep -v -E $'^(outputs|runs)\t' "$TEST_TMP/yaml-view.tsv" >"$TEST_TMP/yaml-inputs.tsv"
  diff "$inputs_tsv" "$TEST_TMP/yaml-inputs.tsv" >"$TEST_TMP/parser.diff" ||
    fail "tests/container/action_yml.sh reads action.yml differently from a YAML parser: $(cat "$TEST_TMP/parser.diff")"
  assert_eq "outputs"$'\t'"$(action_outputs "$ACTION" | sorted_list)" "$(grep '^outputs' "$TEST_TMP/yaml-view.tsv")" "outputs seen by a YAML parser"
  runs="$(grep '^runs' "$TEST_TMP/yaml-view.tsv")"
  runs_pattern=$'^runs\tdocker\t(Dockerfile|docker://[^@]+@sha256:[0-9a-f]{64})\tFalse$'
  [[ "$runs" =~ $runs_pattern ]] ||
    fail "runs: must be using: docker, image: Dockerfile (or docker://…@sha256:…), no args; got '$runs'"
else
  log "no YAML parser under $PY: skipping the cross-check of the action.yml reader"
fi

# runs: a Docker action. The runner sets INPUT_* itself; args: would only duplicate them.
runs_block="$(sed -n '/^runs:/,/^[^ #]/p' "$ACTION")"
grep -qE '^  using: ["'\'']?docker["'\'']?[[:space:]]*$' <<<"$runs_block" || fail "action.yml: runs.using must be docker"
grep -qE '^  image: ["'\'']?(Dockerfile|docker://[^@]+@sha256:[0-9a-f]{64})["'\'']?[[:space:]]*$' <<<"$runs_block" ||
  fail "action.yml: runs.image must be Dockerfile or docker://…@sha256:…"
if grep -qE '^  (args|entrypoint):' <<<"$runs_block"; then
  fail "action.yml: runs must not set args or entrypoint (inputs arrive as INPUT_*; the image's ENTRYPOINT runs)"
fi
grep -qE '^branding:' "$ACTION" || fail "action.yml has no branding"
if grep -qiE '^[[:space:]]*(USER|WORKDIR)[[:space:]]' "$ROOT/Dockerfile"; then
  fail "the Dockerfile sets USER or WORKDIR; the runner needs root and sets --workdir itself"
fi
grep -qxF 'ENTRYPOINT ["/usr/local/bin/ecr-mirror"]' "$ROOT/Dockerfile" ||
  fail "the Dockerfile's ENTRYPOINT must be [\"/usr/local/bin/ecr-mirror\"]"

# ---------------------------------------------------------------- outputs: action.yml vs a real run

outputs="$(action_outputs "$ACTION" | sorted_list)" || fail "cannot parse the outputs of $ACTION"
same_names "action.yml outputs vs the outputs issue 4 promises" "$EXPECTED_OUTPUTS" "$outputs"
if command -v docker-registry >/dev/null 2>&1 && command -v skopeo >/dev/null 2>&1; then
  registry_start SRC plain
  registry_start DST plain
  make_image "$TEST_TMP/img" --platforms linux/amd64 --layers 1 --layer-size 1024 --tag 1
  seed_image "$TEST_TMP/img" SRC app:1
  run_mirror outputs --source "$SRC_ADDR/app:1" --destination "$DST_ADDR/app" \
    --insecure-registries "$SRC_ADDR,$DST_ADDR"
  assert_rc 0 "a mirror run to list the outputs"
  written="$(sed -nE 's/^([a-z0-9-]+)(=|<<).*/\1/p' "$RUN_OUT" | sort -u | paste -sd, -)"
  same_names "action.yml outputs vs the outputs ecr-mirror writes" "$written" "$outputs"
else
  log "docker-registry or skopeo missing: not comparing action.yml's outputs with a real run"
fi

# ---------------------------------------------------------------- README tables

[[ -f "$README" ]] || fail "README.md does not exist; it must document the inputs and outputs"
# readme_table HEADING: the backquoted names in the first column of the table under "## HEADING".
readme_table() {
  awk -v heading="## $1" '
    $0 == heading { inside = 1; found = 1; next }
    inside && /^## / { inside = 0 }
    inside && match($0, /^\| *`[a-z0-9-]+` *\|/) {
      name = substr($0, RSTART, RLENGTH); gsub(/[| `]/, "", name); print name
    }
    END { if (!found) exit 3 }
  ' "$README"
}
readme_inputs="$(readme_table Inputs)" ||
  fail "README.md has no '## Inputs' section; it must hold a table with one '| \`name\` |' row per input of action.yml"
[[ -n "$readme_inputs" ]] || fail "README.md's '## Inputs' section has no '| \`name\` |' table rows"
same_names "README.md inputs table vs action.yml" "$inputs" "$(sorted_list <<<"$readme_inputs")"
readme_outputs="$(readme_table Outputs)" ||
  fail "README.md has no '## Outputs' section; it must hold a table with one '| \`name\` |' row per output of action.yml"
[[ -n "$readme_outputs" ]] || fail "README.md's '## Outputs' section has no '| \`name\` |' table rows"
same_names "README.md outputs table vs action.yml" "$outputs" "$(sorted_list <<<"$readme_outputs")"
dupes="$(sort <<<"$readme_inputs"$'\n'"$readme_outputs" | uniq -d | paste -sd' ' -)"
[[ -z "$dupes" ]] || fail "README.md lists these more than once: $dupes"
log "README.md's tables match: $(wc -l <<<"$readme_inputs") inputs, $(wc -l <<<"$readme_outputs") outputs"

pass
