#!/usr/bin/env bash
# Many images from one config (--config): 20 entries over three source registries (plain, Basic,
# token) into two destinations, selected by literal tags, regex and semver ranges and latest N;
# images that share base layers (each shared blob read from the sources once per destination
# registry, counted from their access logs); one entry that fails without stopping the others;
# the report, the lock file and --locked; a no-op re-run with its requests counted; stale tags; and
# a 3-shard plan whose merged report equals the unsharded run's. skopeo judges byte identity.
# shellcheck disable=SC2153,SC2154 # *_ADDR/*_USER/*_PASS are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init many_images
require_tools docker-registry skopeo jq
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is needed (scripts/install-deps.sh)"
require_ecrm_bin

registry_start SRCP plain
registry_start SRCB basic
registry_start SRCT token
registry_start DST1 plain
registry_start DST2 plain
ALL="$SRCP_ADDR,$SRCB_ADDR,$SRCT_ADDR,$DST1_ADDR,$DST2_ADDR"

# Four images built FROM one base: their first two layers (per platform) are the same blobs.
for n in 1 2 3 4; do
  make_image "$TEST_TMP/img$n" --platforms linux/amd64,linux/arm64 --layers 3 --layer-size 8192 \
    --base-seed 9 --base-layers 2 --seed "$n" --tag "$n"
done
base_blobs="$(jq -r '.blobs[]' "$TEST_TMP/img1/summary.json" | sort | comm -12 - <(jq -r '.blobs[]' "$TEST_TMP/img2/summary.json" | sort))"
[[ "$(wc -l <<<"$base_blobs")" == 4 ]] || fail "the test images should share 4 base layers, share: $base_blobs"

# seed LAYOUT_N REGISTRY REPO TAG...
seed() {
  local n="$1" registry="$2" repo="$3"
  shift 3
  local tag
  for tag in "$@"; do seed_image "$TEST_TMP/img$n" "$registry" "$repo:$tag" "$n"; done
}
seed 1 SRCP library/node 18 20 21 22 23 22-alpine
seed 2 SRCP library/python 3.10 3.11 3.12
seed 3 SRCB team/api v1.0 v1.1 v1.1-debug v2.0
seed 4 SRCT org/tool 1.0.0 1.1.0 1.2.0 latest
seed 1 SRCT org/cli 1.0
apps=()
for i in $(seq -w 1 14); do
  case $((10#$i % 3)) in 0) reg=SRCP ;; 1) reg=SRCB ;; *) reg=SRCT ;; esac
  seed $((10#$i % 4 + 1)) "$reg" "lib/app$i" 1
  apps+=("$reg:lib/app$i")
done

addr() { local v="${1}_ADDR"; printf '%s' "${!v}"; }
# write_config FILE PREFIX: the config, every destination under PREFIX.
write_config() {
  local file="$1" prefix="$2" i reg repo
  {
    cat <<EOF
# ecr-mirror many-images test config
version: 1
defaults:
  destination: "$DST1_ADDR/$prefix/{repo}"
  destination-tags: ["{tag}", "{tag}-{digest12}"]
registries:
  $SRCP_ADDR: {insecure: true}
  $SRCB_ADDR: {insecure: true, username-env: SRCB_USER, password-env: SRCB_PASS}
  $SRCT_ADDR:
    insecure: true
    username-env: SRCT_USER
    password-env: SRCT_PASS
  $DST1_ADDR: {insecure: true}
  $DST2_ADDR: {insecure: true}
images:
  - source: $SRCP_ADDR/library/node
    semver: ">=20 <23"
  - source: $SRCP_ADDR/library/python
    tags: ["3.11", "3.12"]
  - source: $SRCB_ADDR/team/api
    allow: ['v1\..*']
    deny: ['.*-debug']
  - source: $SRCT_ADDR/org/tool
    allow: ['[0-9.]+']
    latest: 2
  - source: $SRCP_ADDR/library/missing:1
  - source: $SRCT_ADDR/org/cli:1.0
    destination: "$DST2_ADDR/$prefix/tools/cli"
EOF
    for i in "${!apps[@]}"; do
      reg="${apps[$i]%%:*}" repo="${apps[$i]#*:}"
      if ((i % 2)); then
        printf '  - source: %s/%s:1\n    destination: "%s/%s/{repo}"\n' "$(addr "$reg")" "$repo" "$DST2_ADDR" "$prefix"
      else
        printf '  - %s/%s:1\n' "$(addr "$reg")" "$repo"
      fi
    done
  } >"$file"
}
write_config "$TEST_TMP/mirror.yml" a
entries="$(grep -cE '^  - ' "$TEST_TMP/mirror.yml")"
[[ "$entries" -ge 20 ]] || fail "the config has $entries entries, the issue asks for at least 20"
export SRCB_USER SRCB_PASS SRCT_USER SRCT_PASS

for r in SRCP SRCB SRCT DST1 DST2; do registry_mark "$r"; done
run_mirror first --config "$TEST_TMP/mirror.yml" --report-file "$TEST_TMP/report.json" \
  --lock-file "$TEST_TMP/lock.json" --insecure-registries "$ALL"
# ---------------------------------------------------------------- the first run
log "case: the first run mirrors 24 images and fails the missing one alone"
assert_rc 1 "a run with one failing entry"
report="$TEST_TMP/report.json"
jq -e . "$report" >/dev/null || fail "the report is not JSON"
assert_eq 25 "$(jq '.jobs | length' "$report")" "jobs in the report (24 images + the failed entry)"
assert_eq 24 "$(jq '.totals.copied' "$report")" "images copied"
assert_eq 1 "$(jq '.totals.failed' "$report")" "images failed"
assert_eq "$SRCP_ADDR/library/missing:1" "$(jq -r '.jobs[] | select(.status == "failed") | .source' "$report")" "the failed entry"
assert_contains "$(jq -r '.jobs[] | select(.status == "failed") | .error' "$report")" "does not exist"
assert_eq 1 "$(output_or_fail images-failed)" "images-failed output"
assert_eq true "$(output_or_fail changed)" "changed output"
# Selections: semver excludes 18, 23 and the pre-release 22-alpine; the regex drops -debug and
# v2.0; latest 2 of the versions, newest first.
sources="$(jq -r '[.jobs[].source] | join(" ")' "$report")"
for want in node:20 node:21 node:22 python:3.11 python:3.12 api:v1.0 api:v1.1 tool:1.2.0 tool:1.1.0 cli:1.0; do
  assert_contains "$sources" "/${want}"
done
for unwanted in node:18 node:23 node:22-alpine python:3.10 api:v1.1-debug api:v2.0 tool:1.0.0 tool:latest; do
  assert_not_contains "$sources " "/${unwanted} "
done
# Byte identity, one image of each source registry and each destination.
assert_same_image "$SRCP_ADDR/library/node:22" "$DST1_ADDR/a/library/node:22"
assert_same_image "$SRCB_ADDR/team/api:v1.1" "$DST1_ADDR/a/team/api:v1.1" "$SRCB_CREDS"
assert_same_image "$SRCT_ADDR/org/cli:1.0" "$DST2_ADDR/a/tools/cli:1.0" "$SRCT_CREDS"
assert_same_image "$SRCT_ADDR/lib/app02:1" "$DST2_ADDR/a/lib/app02:1" "$SRCT_CREDS"
digest1="$(summary "$TEST_TMP/img1" .index_digest)"
assert_eq "$digest1" "$(ref_digest "$DST1_ADDR/a/library/node:20-${digest1:7:12}")" "the immutable tag of node:20"
# Each blob read from the sources once per destination registry that needs it: the base layers
# reach both destinations, so two GETs each, whichever source they came from.
blob_gets() {
  local digest="$1" total=0 r
  for r in SRCP SRCB SRCT; do total=$((total + $(count_requests "$r" GET "/v2/.*/blobs/$digest"))); done
  printf '%s' "$total"
}
while read -r blob; do
  assert_eq 2 "$(blob_gets "$blob")" "source GETs of the shared base blob $blob (one per destination registry)"
done <<<"$base_blobs"
# ... and every other blob once per destination registry too: no image read a blob twice.
needed="$(jq -r '.jobs[] | select(.status == "copied") | [.destination, .source_digest] | @tsv' "$report" |
  while IFS=$'\t' read -r dst digest; do
    for n in 1 2 3 4; do
      if [[ "$(summary "$TEST_TMP/img$n" .index_digest)" == "$digest" ]]; then
        jq -r --arg host "${dst%%/*}" '.blobs[] | $host + " " + .' "$TEST_TMP/img$n/summary.json"
      fi
    done
  done | sort -u | wc -l)"
total_gets=0
for r in SRCP SRCB SRCT; do total_gets=$((total_gets + $(count_requests "$r" GET '/v2/.*/blobs/sha256:.*'))); done
assert_eq "$needed" "$total_gets" "source blob GETs in total (distinct destination registry x blob pairs)"
mounted="$(jq '.totals.blobs_mounted' "$report")"
[[ "$mounted" -gt 0 ]] || fail "no blob was mounted between destination repositories"
log "first run: $total_gets source blob GETs for $needed (registry, blob) pairs; $mounted mounts"
# The lock file: every mirrored tag and its digest.
assert_eq 24 "$(jq '.images | length' "$TEST_TMP/lock.json")" "lock file records"
assert_eq "$digest1" "$(jq -r --arg s "$SRCT_ADDR/org/cli:1.0" '.images[] | select(.source == $s) | .digest' "$TEST_TMP/lock.json")" "lock record of org/cli:1.0"

# ---------------------------------------------------------------- the no-op re-run
log "case: an unchanged re-run writes nothing and costs a known number of requests"
for r in SRCP SRCB SRCT DST1 DST2; do registry_mark "$r"; done
run_mirror noop --config "$TEST_TMP/mirror.yml" --report-file "$TEST_TMP/noop.json" --insecure-registries "$ALL"
assert_rc 1 "the re-run (the missing entry still fails)"
assert_eq 24 "$(jq '.totals.unchanged' "$TEST_TMP/noop.json")" "unchanged images"
assert_eq false "$(output_or_fail changed)" "changed output of the no-op"
writes=0
for r in DST1 DST2; do writes=$((writes + $(count_requests "$r" 'PUT|POST|PATCH|DELETE' '.*'))); done
assert_eq 0 "$writes" "writes during the no-op"
# Per image: 1 source HEAD + 2 destination tag HEADs; the missing image's rolling tag is asked for
# too, while its source answers 404 (the two registries are asked side by side). Per run: one tag listing per pattern entry
# (3), the referrers check's one listing per other source repository (16 more: python, cli and
# the 14 apps), one referrers probe per source registry (3), and one stale-tag listing per
# destination repository of a pattern entry (3).
heads_src=0 heads_dst=0 lists=0 probes=0 other=0
for r in SRCP SRCB SRCT; do
  heads_src=$((heads_src + $(count_requests "$r" HEAD '/v2/.*/manifests/[^/]*' '200|404')))
  lists=$((lists + $(count_requests "$r" GET '/v2/.*/tags/list.*' '200|404')))
  probes=$((probes + $(count_requests "$r" GET '/v2/.*/referrers/.*')))
  other=$((other + $(count_requests "$r" 'GET|POST|PUT|PATCH|DELETE' '/v2/.+/(manifests|blobs)/.*')))
done
for r in DST1 DST2; do
  heads_dst=$((heads_dst + $(count_requests "$r" HEAD '/v2/.*/manifests/[^/]*')))
  lists=$((lists + $(count_requests "$r" GET '/v2/.*/tags/list.*')))
done
assert_eq 25 "$heads_src" "source manifest HEADs (24 images, and the missing one's 404)"
assert_eq 49 "$heads_dst" "destination tag HEADs (2 per image, 1 for the missing one)"
assert_eq 3 "$probes" "referrers API probes (one per source registry)"
assert_eq $((3 + 16 + 3)) "$lists" "tag listings"
assert_eq 0 "$other" "manifest or blob GETs and writes at the sources"
log "no-op: $((heads_src + heads_dst + lists + probes)) requests for 24 images ($heads_src + $heads_dst HEADs, $lists listings, $probes probes)"

# ---------------------------------------------------------------- stale tags and --locked
log "case: a tag no selection chooses any more is reported, not deleted; --locked pins digests"
skopeo copy --quiet --all --src-tls-verify=false --dest-tls-verify=false \
  "docker://$DST1_ADDR/a/library/node:20" "docker://$DST1_ADDR/a/library/node:19" >/dev/null 2>&1 ||
  fail "cannot add a stray tag at the destination"
# org/tool:1.2.0 is rebuilt at the source: --locked keeps the locked digest.
seed 2 SRCT org/tool 1.2.0
run_mirror locked --config "$TEST_TMP/mirror.yml" --lock-file "$TEST_TMP/lock.json" --locked \
  --report-file "$TEST_TMP/locked.json" --insecure-registries "$ALL"
assert_rc 1 "--locked (the missing entry is not in the lock file)"
assert_eq 24 "$(jq '.totals.unchanged' "$TEST_TMP/locked.json")" "--locked: unchanged images"
assert_eq "$(summary "$TEST_TMP/img4" .index_digest)" "$(ref_digest "$DST1_ADDR/a/org/tool:1.2.0")" "--locked kept the locked digest of tool:1.2.0"
assert_contains "$(jq -r '.jobs[] | select(.status == "failed") | .error' "$TEST_TMP/locked.json")" "not in the lock file"
run_mirror unlocked --config "$TEST_TMP/mirror.yml" --report-file "$TEST_TMP/unlocked.json" --insecure-registries "$ALL"
assert_eq "$(summary "$TEST_TMP/img2" .index_digest)" "$(ref_digest "$DST1_ADDR/a/org/tool:1.2.0")" "without --locked tool:1.2.0 follows the source"
assert_eq 1 "$(jq '.totals.copied' "$TEST_TMP/unlocked.json")" "images copied after the rebuild"
stale="$(jq -r --arg d "$DST1_ADDR/a/library/node" '.stale_tags[] | select(.destination == $d) | .tags | join(",")' "$TEST_TMP/unlocked.json")"
assert_eq 19 "$stale" "stale tags of library/node"
assert_eq "$digest1" "$(ref_digest "$DST1_ADDR/a/library/node:19")" "the stale tag is still there"
stale_tool="$(jq -r --arg d "$DST1_ADDR/a/org/tool" '.stale_tags[] | select(.destination == $d) | .tags[]' "$TEST_TMP/unlocked.json")"
assert_eq "1.2.0-$(summary "$TEST_TMP/img4" .index_digest | cut -c8-19)" "$stale_tool" "the old immutable tag of tool:1.2.0 is stale"

# ---------------------------------------------------------------- a 3-shard plan
log "case: plan, three shards, merge: the merged report equals the unsharded run's"
# The unsharded reference, into prefix w; the shards into prefix s (both start empty).
write_config "$TEST_TMP/whole.yml" w
write_config "$TEST_TMP/shards.yml" s
run_mirror whole --config "$TEST_TMP/whole.yml" --report-file "$TEST_TMP/whole.json" --insecure-registries "$ALL"
assert_rc 1 "the unsharded reference run"
run_mirror plan plan --config "$TEST_TMP/shards.yml" --plan-file "$TEST_TMP/plan.json" --shards 3 \
  --insecure-registries "$ALL"
assert_rc 0 "plan"
matrix="$(output_or_fail matrix)"
assert_eq '{"shard":["1/3","2/3","3/3"]}' "$matrix" "the plan's matrix"
assert_eq 25 "$(jq '.jobs | length' "$TEST_TMP/plan.json")" "jobs in the plan"
assert_eq 24 "$(jq '[.jobs[] | select(.needs_copy)] | length' "$TEST_TMP/plan.json")" "jobs that need copying"
# Jobs into one destination repository share a shard; the copying jobs are spread over all three.
assert_eq 0 "$(jq '[.jobs | group_by(.destination)[] | select(([.[].shard] | unique | length) > 1)] | length' "$TEST_TMP/plan.json")" "destination repositories split across shards"
assert_eq 3 "$(jq '[.jobs[] | select(.needs_copy) | .shard] | unique | length' "$TEST_TMP/plan.json")" "shards holding copying jobs"
writes=0
for r in DST1 DST2; do writes=$((writes + $(count_requests "$r" 'PUT|POST|PATCH' '/v2/s/.*'))); done
assert_eq 0 "$writes" "writes by the plan"
rcs=""
for k in 1 2 3; do
  run_mirror "shard$k" --config "$TEST_TMP/shards.yml" --plan-file "$TEST_TMP/plan.json" --shard "$k/3" \
    --report-file "$TEST_TMP/shard$k.json" --insecure-registries "$ALL"
  rcs+="$RUN_RC"
done
[[ "$rcs" == *1* ]] || fail "the shard holding the failed entry must exit 1 (exit codes: $rcs)"
# Re-running a shard is safe: it finds its images mirrored.
copying_shard="$(jq '[.jobs[] | select(.needs_copy) | .shard][0]' "$TEST_TMP/plan.json")"
run_mirror "shard-again" --config "$TEST_TMP/shards.yml" --plan-file "$TEST_TMP/plan.json" \
  --shard "$copying_shard/3" --report-file "$TEST_TMP/shard-again.json" --insecure-registries "$ALL"
assert_eq 0 "$(jq '.totals.copied' "$TEST_TMP/shard-again.json")" "images copied by a re-run shard"
run_mirror merge report merge --report-file "$TEST_TMP/merged.json" "$TEST_TMP/shard1.json" \
  "$TEST_TMP/shard2.json" "$TEST_TMP/shard3.json"
assert_rc 1 "report merge (a failed entry)"
normal() {
  jq -S --arg from "/$2/" '[.jobs[] | {order, entry, source, source_digest, mirrored_digest,
    destination: (.destination | sub($from; "/X/")), tags, tags_pushed, status}]' "$1"
}
diff <(normal "$TEST_TMP/whole.json" w) <(normal "$TEST_TMP/merged.json" s) >"$TEST_TMP/merge.diff" ||
  fail "the merged shard reports differ from the unsharded run: $(head -n 40 "$TEST_TMP/merge.diff")"
assert_same_image "$SRCB_ADDR/lib/app01:1" "$DST1_ADDR/s/lib/app01:1" "$SRCB_CREDS"
# Every report written here is valid under schema/report.schema.json.
ROOT="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
"$PY" - "$ROOT/schema/report.schema.json" "$TEST_TMP"/{report,noop,locked,unlocked,whole,merged,shard1,shard2,shard3}.json <<'PY' ||
import json, sys, jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    validator.validate(json.load(open(path)))
PY
  fail "a report does not match schema/report.schema.json"

# ---------------------------------------------------------------- Docker Hub's pull allowance
log "case: a registry that says no pulls are left gets no manifest GET; the others go on"
# shellcheck source=../lib/fault_proxy.sh
source "$ECRM_LIB_DIR/fault_proxy.sh"
fault_proxy_start HUB "$SRCP_ADDR"
fault_rules "$HUB_FAULT_DIR" '[{"kind": "manifest-head", "occurrences": "all", "fault": "rate-limit", "remaining": 0}]'
mark="$(fault_log_mark "$HUB_FAULT_DIR")"
cat >"$TEST_TMP/hub.yml" <<EOF
defaults: {destination: "$DST1_ADDR/hub/{repo}"}
registries:
  $HUB_ADDR: {insecure: true}
  $SRCT_ADDR: {insecure: true, username-env: SRCT_USER, password-env: SRCT_PASS}
  $DST1_ADDR: {insecure: true}
images:
  - $HUB_ADDR/library/node:20
  - $SRCT_ADDR/org/cli:1.0
EOF
run_mirror hub --config "$TEST_TMP/hub.yml" --report-file "$TEST_TMP/hub.json"
assert_rc 1 "a run whose first registry has no pulls left"
assert_contains "$(jq -r '.jobs[0].error' "$TEST_TMP/hub.json")" "no pulls left in its rate-limit window (RateLimit-Remaining: 0)"
assert_eq copied "$(jq -r '.jobs[1].status' "$TEST_TMP/hub.json")" "the image from the other registry"
assert_eq 0 "$(fault_log_count "$HUB_FAULT_DIR" "$mark" manifest-get)" "manifest GETs sent to a registry with no pulls left"
assert_contains "$(cat "$RUN_STDERR")" "allows 0 more pulls"

# ---------------------------------------------------------------- config errors
log "case: config errors name the file, the line and the key, before any request"
printf 'images:\n  - source: %s/library/node\n    semvr: "1"\n' "$SRCP_ADDR" >"$TEST_TMP/typo.yml"
for r in SRCP; do registry_mark "$r"; done
run_mirror typo --config "$TEST_TMP/typo.yml" --insecure-registries "$ALL"
assert_rc 2 "an unknown key"
assert_contains "$(cat "$RUN_STDERR")" "typo.yml:3: images[0].semvr: is not a known key"
printf 'defaults: {destination: "%s/m/{repo}"}\nimages:\n  - source: %s/library/node\n    allow: ["(unclosed"]\n' "$DST1_ADDR" "$SRCP_ADDR" >"$TEST_TMP/regex.yml"
run_mirror regex --config "$TEST_TMP/regex.yml" --insecure-registries "$ALL"
assert_rc 2 "a regex that does not compile"
assert_contains "$(cat "$RUN_STDERR")" "regex.yml:3: images[0]"
printf 'registries:\n  %s: {username-env: NOPE_USER, password-env: NOPE_PASS}\ndefaults: {destination: "%s/m/{repo}"}\nimages: ["%s/x:1"]\n' "$SRCB_ADDR" "$DST1_ADDR" "$SRCB_ADDR" >"$TEST_TMP/env.yml"
run_mirror env --config "$TEST_TMP/env.yml" --insecure-registries "$ALL"
assert_rc 2 "a credential variable that is not set"
assert_contains "$(cat "$RUN_STDERR")" "NOPE_USER, which is not set"
assert_eq 0 "$(count_requests SRCP '.*' '.*')" "requests made for configs that do not load"
printf '%s\n' "$SRCB_PASS" "$SRCT_PASS" >"$TEST_TMP/secrets"
assert_secrets_unprinted "$TEST_TMP/secrets" "$TEST_TMP"/*.stderr "$TEST_TMP"/*.stdout "$TEST_TMP"/*.json
pass
