#!/usr/bin/env python3
"""Holds everything that states ecr-mirror's IAM permissions to deploy/permissions.json, the one
source of truth, so they cannot drift apart:
  - the Terraform module's copy of permissions.json is identical (the module reads it);
  - the CloudFormation template's policy statements (Token, Push, CreateRepository,
    RepositoryTags, LifecyclePolicy, KmsKey; each branch of its Fn::If) carry exactly the
    actions of the matching set;
  - README.md's policy JSON blocks carry exactly the push sets, and its table of what each
    setting adds names exactly the settings' actions.
Exit 0 when all agree; 1 listing every difference. Needs PyYAML (cfn-lint brings it).
ECRM_CHECK_ROOT=DIR checks a copy of the tree instead (the test that shows it can fail)."""
import json
import os
import re
import sys

import yaml

ROOT = os.environ.get("ECRM_CHECK_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Statement Sid in the template -> where its actions live in permissions.json.
SID_KEYS = {"Token": ("push", "account"), "Push": ("push", "repository"),
            "CreateRepository": ("settings", "create-repository", "repository"),
            "RepositoryTags": ("settings", "repository-tags", "repository"),
            "LifecyclePolicy": ("settings", "lifecycle-policy", "repository"),
            "KmsKey": ("settings", "kms-key", "kms")}


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags, each read as {"Fn::Name": value}."""


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def lookup(permissions, service, path):
    node = permissions[service]
    for key in path:
        node = node[key]
    return sorted(node)


def statements(node):
    """Every statement the template can produce, through both branches of each Fn::If."""
    if isinstance(node, dict) and "Fn::If" in node:
        for branch in node["Fn::If"][1:]:
            yield from statements(branch)
    elif isinstance(node, dict) and "Sid" in node:
        yield node


def action_lists(action):
    if isinstance(action, dict) and "Fn::If" in action:
        for branch in action["Fn::If"][1:]:
            yield from action_lists(branch)
    else:
        yield sorted(action)


def service_of(actions):
    prefixes = {a.split(":")[0] for a in actions} - {"sts", "kms"}
    return "ecr-public" if "ecr-public" in prefixes else "ecr"


def check_template(permissions, problems):
    path = os.path.join(ROOT, "deploy", "cloudformation", "ecr-mirror.yaml")
    template = yaml.load(open(path, encoding="utf-8"), Loader=CfnLoader)
    policy = template["Resources"]["PushRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    seen = set()
    for top in policy["Statement"]:
        for statement in statements(top):
            sid = statement["Sid"]
            if sid not in SID_KEYS:
                problems.append(f"{path}: statement {sid} is not in deploy/check.py's map")
                continue
            for actions in action_lists(statement["Action"]):
                service = service_of(actions)
                want = lookup(permissions, service, SID_KEYS[sid])
                seen.add((service, SID_KEYS[sid]))
                if actions != want:
                    problems.append(f"{path}: {sid} ({service}) has {actions}, permissions.json {want}")
    for service in ("ecr-public", "ecr"):
        for sid, key in SID_KEYS.items():
            try:
                lookup(permissions, service, key)
            except KeyError:
                continue
            if (service, key) not in seen:
                problems.append(f"{path}: no {sid} statement for {service} ({'/'.join(key)})")


def check_terraform(problems):
    source = os.path.join(ROOT, "deploy", "permissions.json")
    copy = os.path.join(ROOT, "deploy", "terraform", "modules", "ecr-mirror-push", "permissions.json")
    if json.load(open(source)) != json.load(open(copy)):
        problems.append(f"{copy} differs from {source}: copy it over")


def check_readme(permissions, problems):
    path = os.path.join(ROOT, "README.md")
    text = open(path, encoding="utf-8").read()
    blocks = {"ECR Public push": "ecr-public", "private ECR push": "ecr"}
    for heading, service in blocks.items():
        match = re.search(r"### Permissions policy — " + re.escape(heading) + r"[^\n]*\n+```json\n(.*?)```", text, re.S)
        if not match:
            problems.append(f"{path}: no JSON policy under '### Permissions policy — {heading}'")
            continue
        doc = json.loads(match.group(1))
        got = sorted(a for s in doc["Statement"] for a in s["Action"])
        push = permissions[service]["push"]
        want = sorted(push["account"] + push["repository"])
        if got != want:
            problems.append(f"{path}: the {heading} policy has {got}, permissions.json {want}")
    table = re.search(r"\| setting \| extra actions \|\n\|---\|---\|\n((?:\|.*\|\n)+)", text)
    if not table:
        problems.append(f"{path}: no '| setting | extra actions |' table")
        return
    rows = {}
    for line in table.group(1).splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[re.sub(r"[`:].*$", "", cells[0].strip("`")).strip()] = sorted(re.findall(r"`([a-z-]+:[A-Za-z]+)`", cells[1]))
    for service in ("ecr-public", "ecr"):
        for setting, sets in permissions[service]["settings"].items():
            want = sorted({a for actions in sets.values() for a in actions})
            got = rows.get(setting)
            mine = sorted(a for a in (got or []) if a.split(":")[0] in (service, "kms"))
            if got is None:
                problems.append(f"{path}: the settings table has no row for {setting}")
            elif mine != want:
                problems.append(f"{path}: the {setting} row names {mine} for {service}, permissions.json {want}")


def main():
    permissions = json.load(open(os.path.join(ROOT, "deploy", "permissions.json")))
    problems = []
    check_template(permissions, problems)
    check_terraform(problems)
    check_readme(permissions, problems)
    for problem in problems:
        print(problem)
    print(f"deploy/check.py: {len(problems)} difference(s) from deploy/permissions.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
