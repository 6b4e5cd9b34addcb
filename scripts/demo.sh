#!/usr/bin/env bash
# `make demo`: the whole job on throwaway local registries. Starts a source and a destination
# registry on loopback, generates a multi-arch image (linux/amd64 + linux/arm64 + attestations),
# mirrors it, mirrors it again (a no-op), prints the outputs, checks the copy with skopeo, and
# stops everything it started.
set -euo pipefail
ECRM_BIN="$(realpath "${1:-build/ecr-mirror}")"
export ECRM_BIN
cd "$(dirname "$0")/.."
# shellcheck source=../tests/lib/registry.sh
source tests/lib/registry.sh
suite_init demo
trap - ERR

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Starting two throwaway registries (Debian's docker-registry) on loopback"
registry_start src plain
registry_start dst plain
echo "source registry:      $SRC_ADDR"
echo "destination registry: $DST_ADDR"

step "Generating a multi-arch image: 2 platforms x 3 layers x 4 MiB, with attestations"
make_image "$TEST_TMP/image" --platforms linux/amd64,linux/arm64 --layers 3 \
  --layer-size $((4 * 1024 * 1024)) --attestation --tag noble
seed_image "$TEST_TMP/image" src devcontainers/base:noble
echo "seeded $SRC_ADDR/devcontainers/base:noble"

mirror() {
  : >"$TEST_TMP/outputs"
  "$ECRM_BIN" --source "$SRC_ADDR/devcontainers/base:noble" \
    --destination "$DST_ADDR/caylent-solutions/devcontainer-base" \
    --insecure-registries "$SRC_ADDR,$DST_ADDR" --output-file "$TEST_TMP/outputs"
  echo "--- outputs (\$GITHUB_OUTPUT):"
  cat "$TEST_TMP/outputs"
}

step "Mirroring (first run copies everything)"
mirror
step "Mirroring again (nothing changed: a no-op)"
mirror

step "Checking the mirror with skopeo (an independent judge)"
src_digest="$(skopeo inspect --raw --tls-verify=false "docker://$SRC_ADDR/devcontainers/base:noble" | sha256sum | cut -d' ' -f1)"
for tag in noble "noble-${src_digest:0:12}"; do
  dst_digest="$(skopeo inspect --raw --tls-verify=false "docker://$DST_ADDR/caylent-solutions/devcontainer-base:$tag" | sha256sum | cut -d' ' -f1)"
  [[ "$dst_digest" == "$src_digest" ]] || fail "tag $tag is sha256:$dst_digest, expected sha256:$src_digest"
  echo "destination :$tag = sha256:$dst_digest (same as the source)"
done
step "Done; stopping the registries"
