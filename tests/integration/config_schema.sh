#!/usr/bin/env bash
# The config's documentation agrees with itself: examples/mirror.yml and README.md's example under
# "## Many images" are the same document, valid under schema/config.schema.json (Draft 2020-12,
# checked by python-jsonschema) and accepted by `ecr-mirror check` (which sends nothing); configs
# the schema refuses, ecr-mirror refuses too, naming the line and the key.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
suite_init config_schema
require_ecrm_bin
ROOT="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
"$PY" -c 'import jsonschema, yaml' 2>/dev/null || skip "python3-jsonschema and python3-yaml are needed"

# The README's first yaml block after "## Many images".
awk '/^## Many images/{on=1} on && /^```yaml$/{grab=1; next} grab && /^```$/{exit} grab' \
  "$ROOT/README.md" >"$TEST_TMP/readme.yml"
[[ -s "$TEST_TMP/readme.yml" ]] || fail "README.md has no yaml example under '## Many images'"
"$PY" - "$ROOT/schema/config.schema.json" "$ROOT/examples/mirror.yml" "$TEST_TMP/readme.yml" <<'PY' ||
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
docs = [yaml.safe_load(open(path)) for path in sys.argv[2:]]
for path, doc in zip(sys.argv[2:], docs):
    jsonschema.Draft202012Validator(schema).validate(doc)
if docs[0] != docs[1]:
    sys.exit("examples/mirror.yml and README.md's example differ")
PY
  fail "the example config and the schema disagree (see above)"
for file in "$ROOT/examples/mirror.yml" "$TEST_TMP/readme.yml"; do
  run_ecrm "check-$(basename "$file")" check --config "$file"
  assert_rc 0 "ecr-mirror check $file"
  assert_contains "$(cat "$RUN_STDERR")" "5 images, 2 registries: valid"
done

# bad CONFIG_TEXT EXPECTED_MESSAGE: both the schema and ecr-mirror refuse it.
n=0
bad() {
  n=$((n + 1))
  printf '%s\n' "$1" >"$TEST_TMP/bad$n.yml"
  if "$PY" - "$ROOT/schema/config.schema.json" "$TEST_TMP/bad$n.yml" 2>/dev/null <<'PY'; then
import json, sys, yaml, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(yaml.safe_load(open(sys.argv[2])))
PY
    fail "the schema accepts bad config $n: $1"
  fi
  run_ecrm "bad$n" check --config "$TEST_TMP/bad$n.yml"
  assert_rc 2 "ecr-mirror check of bad config $n"
  assert_contains "$(cat "$RUN_STDERR")" "$2"
}
D='defaults: {destination: "r.example/m/{repo}"}'
bad "$D
images: [{source: r.example/a, semvr: '1'}]" "bad1.yml:2: images[0].semvr: is not a known key"
bad "$D
images:
  - source: r.example/a
    latest: 0" "bad2.yml:4: images[0].latest: must be a whole number from 1 to 10000"
bad "$D
registries:
  r.example: {username-env: ONLY_USER}
images: [r.example/a:1]" "needs both username-env and password-env"
bad "$D
images:
  - source: r.example/a
    digests: [sha256:abc]" "is not a sha256 digest"
bad "version: 2
images: [r.example/a:1]" "bad5.yml:1: version: must be a whole number from 1 to 1"
bad "images: []" "images: is missing or empty"
pass
