#!/usr/bin/env python3
"""A small evaluator of the IAM trust-policy conditions ecr-mirror's setup uses: does a GitHub
OIDC token with this aud and sub get to call sts:AssumeRoleWithWebIdentity?

Only what the policies here use: Allow statements, StringEquals and StringLike (IAM policy
reference, "String condition operators": case-sensitive; StringLike's * matches any run of
characters, ? any one; a list of values matches when any value does; every key in a condition
block must match). A policy comes as JSON, or as a CloudFormation template (its PushRole's
AssumeRolePolicyDocument, with --param NAME=VALUE for the parameters it references).

  iam_eval.py POLICY_OR_TEMPLATE --aud AUD --sub SUB [--param SubjectClaims=a,b]
prints allow or deny; exit 0 for allow, 1 for deny, 2 for a policy it cannot read."""
import argparse
import json
import os
import re
import sys


def like(pattern, value):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S) is not None


OPERATORS = {"StringEquals": lambda want, got: want == got, "StringLike": like}


def allowed(statements, context):
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if "sts:AssumeRoleWithWebIdentity" not in actions:
            continue
        ok = True
        for operator, block in statement.get("Condition", {}).items():
            if operator not in OPERATORS:
                raise ValueError(f"condition operator {operator} is not evaluated here")
            for key, wanted in block.items():
                wanted = wanted if isinstance(wanted, list) else [wanted]
                if key not in context or not any(OPERATORS[operator](w, context[key]) for w in wanted):
                    ok = False
        if ok:
            return True
    return False


def resolve(node, params):
    """Ref to a parameter becomes its value (a CommaDelimitedList splits); other intrinsics stay."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in params:
            return params[node["Ref"]]
        return {k: resolve(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, params) for v in node]
    return node


def load(path, params):
    text = open(path, encoding="utf-8").read()
    if path.endswith((".yaml", ".yml")):
        import yaml  # PyYAML: cfn-lint brings it
        # deploy/check.py's loader reads CloudFormation's short-form tags.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "deploy"))
        from check import CfnLoader
        template = yaml.load(text, Loader=CfnLoader)
        values = {}
        for name, spec in template.get("Parameters", {}).items():
            raw = params.get(name, spec.get("Default"))
            if raw is None:
                continue
            values[name] = raw.split(",") if spec["Type"] == "CommaDelimitedList" else raw
        doc = template["Resources"]["PushRole"]["Properties"]["AssumeRolePolicyDocument"]
        return resolve(doc, values)["Statement"]
    return json.loads(text)["Statement"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy")
    parser.add_argument("--aud", required=True)
    parser.add_argument("--sub", required=True)
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE for a template")
    args = parser.parse_args()
    params = dict(p.split("=", 1) for p in args.param)
    try:
        statements = load(args.policy, params)
    except (OSError, ValueError, KeyError) as error:
        print(f"iam_eval.py: cannot read {args.policy}: {error}", file=sys.stderr)
        return 2
    context = {"token.actions.githubusercontent.com:aud": args.aud,
               "token.actions.githubusercontent.com:sub": args.sub}
    verdict = allowed(statements, context)
    print("allow" if verdict else "deny")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
