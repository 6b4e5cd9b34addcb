#!/usr/bin/env bash
# The AWS setup as code (deploy/): cfn-lint passes on the CloudFormation template; the Terraform
# module is terraform-fmt clean (terraform validate needs the AWS provider, which cannot be
# downloaded here); deploy/check.py finds the template, the module and README.md in step with
# deploy/permissions.json, and finds a drift when one is introduced; and the trust policies (the
# template's, the README's) decide each documented sub form as AWS would, by tests/lib/iam_eval.py.
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
suite_init deploy_setup
ROOT="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# PyYAML and cfn-lint live in the python3 on PATH (the machine image's 3.11).
python3 -c 'import yaml' 2>/dev/null || skip "the python3 on PATH has no PyYAML (cfn-lint brings it)"
TEMPLATE="$ROOT/deploy/cloudformation/ecr-mirror.yaml"

# ---------------------------------------------------------------- lint and format
if command -v cfn-lint >/dev/null 2>&1; then
  cfn-lint "$TEMPLATE" >"$TEST_TMP/cfn-lint.txt" 2>&1 || fail "cfn-lint: $(cat "$TEST_TMP/cfn-lint.txt")"
  log "cfn-lint $(cfn-lint --version 2>&1 | head -n 1 | cut -d' ' -f2): clean"
else
  log "cfn-lint is not installed: the template is not linted (pip install cfn-lint)"
fi
if command -v terraform >/dev/null 2>&1; then
  terraform -chdir="$ROOT/deploy/terraform" fmt -check -recursive >"$TEST_TMP/tf-fmt.txt" 2>&1 ||
    fail "terraform fmt -check: $(cat "$TEST_TMP/tf-fmt.txt")"
  log "terraform fmt -check: clean (terraform validate needs the AWS provider; none can be downloaded here)"
else
  log "terraform is not installed: the module is not format-checked"
fi

# ---------------------------------------------------------------- one source of truth
python3 "$ROOT/deploy/check.py" >"$TEST_TMP/check.txt" 2>&1 || fail "deploy/check.py: $(cat "$TEST_TMP/check.txt")"
# ... and the check catches a drift in each place it guards.
drift() {
  local what="$1" file="$2" old="$3" new="$4" copy="$TEST_TMP/drift-$1"
  mkdir -p "$copy"
  cp -r "$ROOT/deploy" "$ROOT/README.md" "$copy/"
  python3 - "$copy/$file" "$old" "$new" <<'PYEOF'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
assert old in text, f"{old!r} not in {path}"
open(path, "w").write(text.replace(old, new, 1))
PYEOF
  if ECRM_CHECK_ROOT="$copy" python3 "$copy/deploy/check.py" >"$copy/out.txt" 2>&1; then
    fail "deploy/check.py missed a drift in $what: $(cat "$copy/out.txt")"
  fi
}
drift template deploy/cloudformation/ecr-mirror.yaml "ecr:PutLifecyclePolicy]" "ecr:PutLifecyclePolicy, ecr:DeleteRepository]"
drift readme README.md '"ecr:DescribeRepositories"]}' '"ecr:DescribeRepositories", "ecr:ListImages"]}'
drift module deploy/terraform/modules/ecr-mirror-push/permissions.json '"ecr:PutImage",' '"ecr:PutImage", "ecr:DeleteRepository",'
drift source deploy/permissions.json '"kms:DescribeKey"' '"kms:DescribeKey", "kms:Decrypt"'
log "deploy/check.py: template, module and README agree with deploy/permissions.json; drifts are caught"

# ---------------------------------------------------------------- trust policies
# decide EXPECTED POLICY SUB [AUD] [PARAM...]
decide() {
  local want="$1" policy="$2" sub="$3" aud="${4:-sts.amazonaws.com}" got
  shift 4 || shift $#
  got="$(python3 "$ECRM_LIB_DIR/iam_eval.py" "$policy" --aud "$aud" --sub "$sub" "$@" || true)"
  [[ "$got" == "$want" ]] || fail "$(basename "$policy") decides $got for sub=$sub aud=$aud ($*), expected $want"
}
CLAIMS="repo:octo-org/octo-repo:ref:refs/heads/main,repo:octo-org/octo-repo:ref:refs/tags/v*,repo:octo-org/octo-repo:environment:production"
P=(--param "SubjectClaims=$CLAIMS")
decide allow "$TEMPLATE" repo:octo-org/octo-repo:ref:refs/heads/main sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/octo-repo:ref:refs/heads/feature sts.amazonaws.com "${P[@]}"
decide allow "$TEMPLATE" repo:octo-org/octo-repo:ref:refs/tags/v1.2.3 sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/octo-repo:ref:refs/tags/1.2.3 sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/octo-repo:pull_request sts.amazonaws.com "${P[@]}"
decide allow "$TEMPLATE" repo:octo-org/octo-repo:environment:production sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/octo-repo:environment:staging sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/other-repo:ref:refs/heads/main sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:OCTO-ORG/octo-repo:ref:refs/heads/main sts.amazonaws.com "${P[@]}"
decide deny "$TEMPLATE" repo:octo-org/octo-repo:ref:refs/heads/main https://github.com/octo-org "${P[@]}"
# The README's trust policy, placeholders filled in, decides its table's rows as it says.
readme_policy="$TEST_TMP/readme-trust.json"
python3 - "$ROOT/README.md" >"$readme_policy" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"### Trust policy[^\n]*\n+```json\n(.*?)```", text, re.S).group(1)
print(block.replace("<ACCOUNT_ID>", "123456789012").replace("<OWNER>", "octo-org").replace("<REPO>", "octo-repo"))
PYEOF
decide allow "$readme_policy" repo:octo-org/octo-repo:ref:refs/heads/main
decide deny "$readme_policy" repo:octo-org/octo-repo:ref:refs/heads/feature
decide deny "$readme_policy" repo:octo-org/octo-repo:ref:refs/tags/v1.2.3
decide deny "$readme_policy" repo:octo-org/octo-repo:pull_request
decide deny "$readme_policy" repo:octo-org/octo-repo:environment:production
log "trust policies: branch, tag, pull request and environment subjects decided as documented"
pass
