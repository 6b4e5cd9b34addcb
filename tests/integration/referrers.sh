#!/usr/bin/env bash
# Signatures, SBOMs and attestations travel with the image (OCI referrers): the referrers tag
# schema on docker-registry itself, the referrers API through tests/lib/referrers_front.py, and
# cosign's tags. skopeo judges byte identity; the registries' and the front's logs count requests.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init referrers
require_tools docker-registry skopeo jq curl
require_ecrm_bin

registry_start SRC plain  # tag schema (distribution 2.8 has no referrers API)
registry_start SRCAPI plain
registry_start DST plain
registry_start DSTAPI plain
referrers_front_start DSTAPI
registry_start ECRPUB plain
ecr_personality_start ECRPUB ecr-public  # ECR Public serves the referrers API
registry_start RACE plain
referrers_front_start RACE --no-api  # a tag schema registry whose index another writer rewrites

make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --attestation --layers 2 \
  --layer-size 65536 --seed 41 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
seed_image "$TEST_TMP/img" SRCAPI library/app:1.0
referrers_front_start SRCAPI --page-size 1  # every list of two or more is paginated
index="$(summary "$TEST_TMP/img" .index_digest)"
amd64="$(summary "$TEST_TMP/img" '.children[] | select(.kind == "image" and (.platform | startswith("linux/amd64"))) | .digest')"
arm64="$(summary "$TEST_TMP/img" '.children[] | select(.kind == "image" and (.platform | startswith("linux/arm64"))) | .digest')"
[[ -n "$amd64" && -n "$arm64" ]] || fail "the test image lacks its amd64 or arm64 child"
NOTARY=application/vnd.cncf.notary.signature

# referrer ADDR VIA SUBJECT [make_referrer.py options]: pushes one artifact, prints its digest.
referrer() {
  local addr="$1" via="$2" subject="$3"
  shift 3
  "$PY" "$ECRM_LIB_DIR/make_referrer.py" --registry "$addr" --repo "${REPO:-library/app}" \
    --via "$via" --subject "$subject" "$@" || fail "make_referrer.py --via $via failed"
}

# The same set of referrers on both sources: a Notary signature and a cosign signature on the
# index, an SBOM on amd64, a provenance attestation on arm64, a signature on the SBOM.
declare -A ON_SRC ON_API
ON_SRC[sig]="$(referrer "$SRC_ADDR" tag-schema "$index" --kind notary --annotation io.cncf.notary.x509chain.thumbprint#S256='["ab12"]')"
ON_SRC[cosign]="$(referrer "$SRC_ADDR" cosign-sig "$index")"
ON_SRC[sbom]="$(referrer "$SRC_ADDR" tag-schema "$amd64" --kind sbom)"
ON_SRC[prov]="$(referrer "$SRC_ADDR" tag-schema "$arm64" --kind provenance)"
ON_SRC[sbomsig]="$(referrer "$SRC_ADDR" tag-schema "${ON_SRC[sbom]}" --kind notary --content sbom)"
ON_API[sig]="$(referrer "$SRCAPI_REGISTRY_ADDR" api "$index" --kind notary --annotation io.cncf.notary.x509chain.thumbprint#S256='["ab12"]')"
ON_API[prov]="$(referrer "$SRCAPI_REGISTRY_ADDR" api "$index" --kind provenance --content index)"
ON_API[cosign]="$(referrer "$SRCAPI_REGISTRY_ADDR" cosign-sig "$index")"
ON_API[sbom]="$(referrer "$SRCAPI_REGISTRY_ADDR" api "$amd64" --kind sbom)"
ON_API[sbomsig]="$(referrer "$SRCAPI_REGISTRY_ADDR" api "${ON_API[sbom]}" --kind notary --content sbom)"

insecure=(--insecure-registries "$SRC_ADDR,$SRCAPI_ADDR,$DST_ADDR,$DSTAPI_ADDR,$RACE_ADDR,$ECRPUB_ADDR")
tag_schema_of() { printf 'sha256-%s' "${1#sha256:}"; }

# listed ADDR REPO SUBJECT: the digests of the subject's tag schema index at ADDR, sorted.
listed() {
  curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$1/v2/$2/manifests/$(tag_schema_of "$3")" | jq -r '.manifests[].digest' | sort
}
sorted() { printf '%s\n' "$@" | sort; }
# assert_same_referrers ARRAY SRC_REPO DST_REPO: every referrer in the associative array ARRAY is
# byte-identical on both sides (skopeo).
assert_same_referrers() {
  local -n referrers="$1"
  local what
  ((${#referrers[@]} > 0)) || fail "assert_same_referrers: $1 holds no referrer"
  for what in "${!referrers[@]}"; do
    assert_same_manifest "$2" "$3" "${referrers[$what]}"
  done
}
# front_count NAME REGEX: requests in the front's log since its mark matching REGEX.
front_count() {
  local log mark
  log="$(_registry_get "$1" FRONT_LOG)"
  mark="$(_registry_get "$1" FRONT_MARK)"
  tail -n "+$((${mark:-0} + 1))" "$log" | grep -cE "$2" || true
}
front_mark() { _registry_set "$1" FRONT_MARK "$(wc -l <"$(_registry_get "$1" FRONT_LOG)")"; }

# 1. Tag schema → tag schema, first copy: every referrer byte for byte, listed at the destination.
run_mirror first --source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "first copy with referrers"
assert_eq 5 "$(output_or_fail referrers-pushed)" "referrers-pushed (first copy)"
assert_eq true "$(output_or_fail changed)" "changed (first copy)"
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/mirror/app:1.0"
assert_same_referrers ON_SRC "$SRC_ADDR/library/app" "$DST_ADDR/mirror/app"
assert_eq "${ON_SRC[sig]}" "$(listed "$DST_ADDR" mirror/app "$index")" "the index's referrers listed at the destination"
assert_eq "${ON_SRC[sbom]}" "$(listed "$DST_ADDR" mirror/app "$amd64")" "amd64's referrers"
assert_eq "${ON_SRC[prov]}" "$(listed "$DST_ADDR" mirror/app "$arm64")" "arm64's referrers"
assert_eq "${ON_SRC[sbomsig]}" "$(listed "$DST_ADDR" mirror/app "${ON_SRC[sbom]}")" "the SBOM's referrers"
# artifactType and annotations carried up into the index (the bug regsync users reported).
entry="$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
  "http://$DST_ADDR/v2/mirror/app/manifests/$(tag_schema_of "$index")" | jq -c '.manifests[0] | {artifactType, annotations}')"
assert_eq '{"artifactType":"application/vnd.cncf.notary.signature","annotations":{"io.cncf.notary.x509chain.thumbprint#S256":"[\"ab12\"]","org.opencontainers.image.created":"2026-12-01T00:00:00Z"}}' \
  "$entry" "the destination's index entry for the Notary signature"
assert_eq "${ON_SRC[cosign]}" "$(ref_digest "$DST_ADDR/mirror/app:$(tag_schema_of "$index").sig")" "cosign tag at the destination"
assert_contains "$(cat "$RUN_STDERR")" "5 copied, 0 already present, 0 skipped" "the log's referrer line"

# 2. No-op: nothing written; the reads are what the note reports.
registry_mark SRC
registry_mark DST
run_mirror noop --source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "no-op with referrers"
assert_eq false "$(output_or_fail changed)" "changed (no-op)"
assert_eq 0 "$(output_or_fail referrers-pushed)" "referrers-pushed (no-op)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
# Source: the tag's HEAD, one referrers probe (404: no API), one tag listing, the tag schema
# index of each subject that has one (index, amd64, arm64, the SBOM), the cosign tag's HEAD.
assert_requests SRC HEAD '/v2/library/app/manifests/1\.0' 1
assert_requests SRC GET '/v2/library/app/referrers/.*' 1
assert_requests SRC GET '/v2/library/app/tags/list.*' 1
assert_requests SRC GET '/v2/library/app/manifests/sha256-[0-9a-f]{64}' 4
assert_requests SRC HEAD '/v2/library/app/manifests/sha256-[0-9a-f]{64}\.sig' 1
assert_requests SRC '[A-Z]+' '.*' 8
# Destination: two tag HEADs, the index (for its children), one referrers probe, the four
# subjects' indexes, the cosign tag's HEAD.
assert_requests DST HEAD '/v2/mirror/app/manifests/1\.0.*' 2
assert_requests DST GET "/v2/mirror/app/manifests/$index" 1
assert_requests DST GET '/v2/mirror/app/referrers/.*' 1
assert_requests DST GET '/v2/mirror/app/manifests/sha256-[0-9a-f]{64}' 4
assert_requests DST HEAD '/v2/mirror/app/manifests/sha256-[0-9a-f]{64}\.sig' 1
assert_requests DST '[A-Z]+' '.*' 9

# 3. Someone else lists an artifact in the destination's index; then the source gets a new
#    signature only. Copied without re-copying the image, and the other writer's entry is kept.
foreign="$(REPO=mirror/app referrer "$DST_ADDR" tag-schema "$index" --kind sbom --content foreign)"
ON_SRC[sig2]="$(referrer "$SRC_ADDR" tag-schema "$index" --kind notary --content second)"
registry_mark SRC
registry_mark DST
run_mirror newsig --source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "a new signature on an unchanged image"
assert_eq true "$(output_or_fail changed)" "changed (new signature)"
assert_eq 1 "$(output_or_fail referrers-pushed)" "referrers-pushed (new signature)"
assert_eq "" "$(output_or_fail tags-pushed)" "tags-pushed (new signature)"
assert_requests DST PUT '/v2/mirror/app/manifests/1\.0.*' 0
assert_requests DST PUT "/v2/mirror/app/manifests/${ON_SRC[sig2]}" 1
assert_requests DST PUT "/v2/mirror/app/manifests/$(tag_schema_of "$index")" 1
assert_requests DST POST '/v2/mirror/app/blobs/uploads/.*' 1  # the signature's layer; {} is there
assert_requests SRC GET '/v2/library/app/blobs/.*' 1
assert_same_manifest "$SRC_ADDR/library/app" "$DST_ADDR/mirror/app" "${ON_SRC[sig2]}"
assert_eq "$(sorted "${ON_SRC[sig]}" "${ON_SRC[sig2]}" "$foreign")" "$(listed "$DST_ADDR" mirror/app "$index")" \
  "the destination's index after the merge (the foreign entry kept)"

# 4. A dry run into a new repository says what it would copy and writes nothing.
registry_mark DST
run_mirror dry --source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/dry" "${insecure[@]}" --dry-run
assert_rc 0 "dry run with referrers"
assert_contains "$(cat "$RUN_STDERR")" "referrers: 6 found, 6 to copy" "the dry run's referrer line"
assert_eq 0 "$(output_or_fail referrers-pushed)" "referrers-pushed (dry run)"
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0

# 5. off: the image alone; not one referrers request.
registry_mark SRC
run_mirror off --source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/off" "${insecure[@]}" --referrers off
assert_rc 0 "--referrers off"
assert_eq 0 "$(output_or_fail referrers-pushed)" "referrers-pushed (off)"
assert_requests SRC GET '/v2/library/app/(referrers/.*|tags/list.*|manifests/sha256-.*)' 0
assert_requests SRC HEAD '/v2/library/app/manifests/sha256-.*' 0
curl -sf -o /dev/null "http://$DST_ADDR/v2/mirror/off/manifests/$(tag_schema_of "$index")" &&
  fail "--referrers off wrote a tag schema index"

# 6. The type filter: Notary signatures only (the SBOM's signature is not reached: its subject is
#    left out).
GITHUB_STEP_SUMMARY="$TEST_TMP/typed-summary.md" run_mirror typed --source "$SRC_ADDR/library/app:1.0" \
  --destination "$DST_ADDR/mirror/typed" "${insecure[@]}" --referrer-types "$NOTARY"
assert_rc 0 "--referrer-types"
summary_md="$(cat "$TEST_TMP/typed-summary.md")"
assert_contains "$summary_md" "#### Referrers" "the step summary's referrers section"
assert_contains "$summary_md" "skipped: its artifact type is not in referrer-types" "a filtered referrer in the summary"
assert_contains "$summary_md" "| tag schema | copied |" "a copied referrer in the summary"
# Skipped rows first: what a reviewer must look at.
first_row="$(grep -m1 -E '^\| `sha256:' "$TEST_TMP/typed-summary.md")"
assert_contains "$first_row" "skipped" "the summary's first referrer row"
assert_eq 2 "$(output_or_fail referrers-pushed)" "referrers-pushed (Notary only)"
assert_eq "$(sorted "${ON_SRC[sig]}" "${ON_SRC[sig2]}")" "$(listed "$DST_ADDR" mirror/typed "$index")" "Notary signatures copied"
curl -sf -o /dev/null "http://$DST_ADDR/v2/mirror/typed/manifests/${ON_SRC[sbom]}" &&
  fail "the type filter let the SBOM through"

# 7. API source → tag schema destination (the source's lists are paginated, one entry a page).
front_mark SRCAPI
run_mirror api2ts --source "$SRCAPI_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/fromapi" "${insecure[@]}"
assert_rc 0 "referrers API source to a tag schema destination"
assert_eq 5 "$(output_or_fail referrers-pushed)" "referrers-pushed (API source)"
assert_same_referrers ON_API "$SRCAPI_REGISTRY_ADDR/library/app" "$DST_ADDR/mirror/fromapi"
assert_eq "$(sorted "${ON_API[sig]}" "${ON_API[prov]}")" "$(listed "$DST_ADDR" mirror/fromapi "$index")" "the index's referrers (from two pages)"
assert_eq "${ON_API[sbomsig]}" "$(listed "$DST_ADDR" mirror/fromapi "${ON_API[sbom]}")" "the SBOM's signature"
(($(front_count SRCAPI "^GET /v2/library/app/referrers/$index\?last=") == 1)) || fail "the second page of the index's referrers was not read"

# The same unchanged, as a no-op: the API is asked once per subject (the index's two referrers
# take two pages: 4), the four found there (4) and the signature on the SBOM (1).
registry_mark SRCAPI
registry_mark DST
front_mark SRCAPI
run_mirror api-noop --source "$SRCAPI_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/fromapi" "${insecure[@]}"
assert_rc 0 "no-op from the API source"
assert_eq 0 "$(output_or_fail referrers-pushed)" "referrers-pushed (API no-op)"
assert_eq 9 "$(front_count SRCAPI '^GET /v2/library/app/referrers/')" "referrers API requests of a no-op"
assert_requests SRCAPI '[A-Z]+' '.*' 3  # the tag's HEAD, the tag listing, the cosign tag's HEAD
assert_requests DST 'PUT|POST|PATCH|DELETE' '.*' 0
assert_requests DST '[A-Z]+' '.*' 8  # 2 tag HEADs, the index, a probe, 3 indexes, 1 cosign HEAD

# 8. Tag schema source → API destination: the destination indexes subjects (OCI-Subject), so no
#    tag schema index is written there, and its API lists them.
run_mirror ts2api --source "$SRC_ADDR/library/app:1.0" --destination "$DSTAPI_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "tag schema source to a referrers API destination"
assert_eq 6 "$(output_or_fail referrers-pushed)" "referrers-pushed (API destination)"
api_listed="$(curl -sf "http://$DSTAPI_ADDR/v2/mirror/app/referrers/$index" | jq -r '.manifests[].digest' | sort)"
assert_eq "$(sorted "${ON_SRC[sig]}" "${ON_SRC[sig2]}")" "$api_listed" "the API destination lists the index's referrers"
curl -sf -o /dev/null "http://$DSTAPI_REGISTRY_ADDR/v2/mirror/app/manifests/$(tag_schema_of "$index")" &&
  fail "a tag schema index was written although the destination answered OCI-Subject"
assert_same_manifest "$SRC_ADDR/library/app" "$DSTAPI_REGISTRY_ADDR/mirror/app" "${ON_SRC[sbomsig]}"

# 9. Another writer replaces a tag schema index right after ours is written (it read the index
#    before): the read-back sees our entries gone and merges again, keeping theirs.
run_mirror race-seed --source "$SRC_ADDR/library/app:1.0" --destination "$RACE_ADDR/mirror/race" "${insecure[@]}" --referrers off
assert_rc 0 "the image alone to the race registry"
theirs="$(REPO=mirror/race referrer "$RACE_REGISTRY_ADDR" tag-schema "$amd64" --kind sbom --content other-writer)"
touch "$RACE_CLOBBER_FILE"
front_mark RACE
run_mirror race --source "$SRC_ADDR/library/app:1.0" --destination "$RACE_ADDR/mirror/race" "${insecure[@]}"
assert_rc 0 "a mirror whose index write is undone by another writer"
[[ ! -e "$RACE_CLOBBER_FILE" ]] || fail "no tag schema index was written through the race front"
assert_eq 1 "$(front_count RACE '^CLOBBER ')" "the other writer struck once"
assert_eq 5 "$(front_count RACE '^PUT /v2/mirror/race/manifests/sha256-[0-9a-f]{64} 201')" \
  "tag schema PUTs: one per subject (4), one more for the clobbered one"
assert_contains "$(cat "$RUN_STDERR")" "rewritten by another writer" "the log says why it merged again"
assert_eq "$(sorted "${ON_SRC[sig]}" "${ON_SRC[sig2]}")" "$(listed "$RACE_REGISTRY_ADDR" mirror/race "$index")" \
  "the index's referrers at the race registry"
assert_eq "$(sorted "${ON_SRC[sbom]}" "$theirs")" "$(listed "$RACE_REGISTRY_ADDR" mirror/race "$amd64")" \
  "amd64's index keeps the other writer's entry"
assert_eq "${ON_SRC[prov]}" "$(listed "$RACE_REGISTRY_ADDR" mirror/race "$arm64")" "arm64's index"
assert_eq "${ON_SRC[sbomsig]}" "$(listed "$RACE_REGISTRY_ADDR" mirror/race "${ON_SRC[sbom]}")" "the SBOM's index"

# 10. A source whose referrers API fails: require stops before any tag; auto warns and mirrors.
touch "$SRCAPI_FAIL_FILE"
run_mirror require --source "$SRCAPI_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/req" "${insecure[@]}" --referrers require
assert_rc 1 "--referrers require with a failing listing"
assert_contains "$(error_text)" "referrers" "the error names the referrers"
assert_contains "$(error_text)" "--referrers auto" "the error's fix"
curl -sf -o /dev/null "http://$DST_ADDR/v2/mirror/req/manifests/1.0" && fail "require moved a tag although a listing failed"
run_mirror auto --source "$SRCAPI_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/req" "${insecure[@]}"
assert_rc 0 "--referrers auto with a failing listing"
assert_contains "$(cat "$RUN_STDERR")" "referrers not listed" "the warning"
assert_eq 1 "$(output_or_fail referrers-pushed)" "only the cosign tag (found by the tag list) copied"
assert_same_image "$SRCAPI_REGISTRY_ADDR/library/app:1.0" "$DST_ADDR/mirror/req:1.0"
rm -f "$SRCAPI_FAIL_FILE"
# Sources that list more referrers than any image has (1001 bogus ones): on one page, the cap on
# referrers; paginated, the cap on pages. require stops before any tag, nothing fetched for them.
echo 1001 >"$DSTAPI_PAD_FILE"
run_mirror padded --source "$DSTAPI_ADDR/mirror/app:1.0" --destination "$DST_ADDR/mirror/padded" "${insecure[@]}" --referrers require
assert_rc 1 "--referrers require with 1001 referrers on one page"
assert_contains "$(error_text)" "more than 1000 referrers" "the error names the cap"
curl -sf -o /dev/null "http://$DST_ADDR/v2/mirror/padded/manifests/1.0" && fail "a tag moved although the referrers were refused"
rm -f "$DSTAPI_PAD_FILE"
echo 1001 >"$SRCAPI_PAD_FILE"
registry_mark SRCAPI
run_mirror paged --source "$SRCAPI_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/padded" "${insecure[@]}" --referrers require
assert_rc 1 "--referrers require with 1001 referrers a page"
assert_contains "$(error_text)" "past 64 pages" "the error names the page cap"
assert_requests SRCAPI GET '/v2/library/app/manifests/sha256:[0-9a-f]{64}' 0 404  # none of the bogus ones
rm -f "$SRCAPI_PAD_FILE"

# 11. Into the ECR Public personality (referrers API, OCI-Subject, throttling, 401 blob HEADs):
#     every referrer lands, listed by its API, no tag schema index written; then a no-op.
run_mirror ecrpub --source "$SRC_ADDR/library/app:1.0" --destination "$ECRPUB_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "referrers into the ECR Public personality"
assert_eq 6 "$(output_or_fail referrers-pushed)" "referrers-pushed (ECR Public)"
assert_same_referrers ON_SRC "$SRC_ADDR/library/app" "$ECRPUB_REGISTRY_ADDR/mirror/app"
ecr_listed="$(curl -sf --retry 5 --retry-delay 0 "http://$ECRPUB_ADDR/v2/mirror/app/referrers/$amd64" | jq -r '.manifests[].digest' | sort)"
assert_eq "${ON_SRC[sbom]}" "$ecr_listed" "ECR Public's referrers API lists amd64's SBOM"
assert_eq 0 "$(ecr_count ECRPUB '.method == "PUT" and (.path | test("/manifests/sha256-[0-9a-f]{64}$")) and (.judge | not)')" \
  "tag schema indexes written to a registry that answers OCI-Subject"
registry_mark ECRPUB
run_mirror ecrpub-noop --source "$SRC_ADDR/library/app:1.0" --destination "$ECRPUB_ADDR/mirror/app" "${insecure[@]}"
assert_rc 0 "no-op into the ECR Public personality"
assert_eq 0 "$(output_or_fail referrers-pushed)" "referrers-pushed (ECR Public no-op)"
assert_requests ECRPUB 'PUT|POST|PATCH|DELETE' '.*' 0
# 2 tag HEADs, the index, the referrers of the 4 subjects that have some, the cosign tag's HEAD.
assert_requests ECRPUB GET '/v2/mirror/app/referrers/.*' 4
assert_requests ECRPUB '[A-Z]+' '.*' 8

pass
