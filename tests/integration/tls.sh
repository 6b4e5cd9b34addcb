#!/usr/bin/env bash
# HTTPS registries (docker-registry serving a leaf signed by an intermediate CA, and offering h2):
# which certificates are trusted, judged against curl 7.88's own decisions for the same bundles
# (ecr-mirror hands libcurl one trust store for the process instead of letting it read the bundle
# per handle, http/trust_store.hpp, and must not trust more or less than libcurl would); an
# unreadable SSL_CERT_FILE; HTTP/1.1 on every request although the registry offers h2; a copy and
# its no-op judged by skopeo.
# shellcheck disable=SC2153,SC2154 # SRC_*/DST_* are exported by registry_start
set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR/../lib source=registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/registry.sh"
suite_init tls
require_tools docker-registry skopeo jq curl openssl
require_ecrm_bin

# ---------------------------------------------------------------- certificates
pki="$TEST_TMP/pki"
mkdir -p "$pki"
ca_cert() { # NAME SUBJECT [ISSUER]: a CA certificate, self-signed or signed by ISSUER
  local name="$1" subject="$2" issuer="${3:-}"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$subject" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$pki/$name.ext"
  if [[ -z "$issuer" ]]; then
    openssl x509 -req -in "$pki/$name.csr" -signkey "$pki/$name.key" -days 2 \
      -extfile "$pki/$name.ext" -out "$pki/$name.pem" 2>/dev/null
  else
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$issuer.pem" -CAkey "$pki/$issuer.key" \
      -CAcreateserial -days 2 -extfile "$pki/$name.ext" -out "$pki/$name.pem" 2>/dev/null
  fi || fail "openssl could not make the $name certificate"
}
ca_cert root "ecrm test root"
ca_cert intermediate "ecrm test intermediate" root
ca_cert stranger "ecrm unrelated root"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$pki/leaf.key" -out "$pki/leaf.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$pki/leaf.ext"
openssl x509 -req -in "$pki/leaf.csr" -CA "$pki/intermediate.pem" -CAkey "$pki/intermediate.key" \
  -CAcreateserial -days 2 -extfile "$pki/leaf.ext" -out "$pki/leaf.pem" 2>/dev/null ||
  fail "openssl could not make the leaf certificate"
# The registry sends its chain: the leaf, then the intermediate.
cat "$pki/leaf.pem" "$pki/intermediate.pem" >"$pki/server.crt"
cp "$pki/leaf.key" "$pki/server.key"
system_bundle=/etc/ssl/certs/ca-certificates.crt
[[ -s "$system_bundle" ]] || skip "no system CA bundle at $system_bundle"
# What a runner has plus the registry's root: the shape of a real SSL_CERT_FILE.
cat "$system_bundle" "$pki/root.pem" >"$pki/system-and-root.pem"

registry_start SRC plain --tls "$pki/server"
registry_start DST plain --tls "$pki/server"
make_image "$TEST_TMP/img" --platforms linux/amd64,linux/arm64 --layers 4 --layer-size 200000 \
  --seed 41 --tag 1.0
seed_image "$TEST_TMP/img" SRC library/app:1.0
digest="$(summary "$TEST_TMP/img" .index_digest)"

# The registry must offer h2, or the HTTP/1.1 check below would prove nothing.
h2="$(curl -s --http2 --cacert "$pki/root.pem" -o /dev/null -w '%{http_version}' \
  "https://$SRC_ADDR/v2/")" || fail "curl could not reach https://$SRC_ADDR/v2/ with the root CA"
assert_eq 2 "$h2" "HTTP version curl negotiates with the TLS registry"

common=(--source "$SRC_ADDR/library/app:1.0" --destination "$DST_ADDR/mirror/app" --retry-time 0)

# curl_trusts BUNDLE: 0 when curl (libcurl 7.88, the library ecr-mirror uses) accepts the
# registry's chain with BUNDLE as its only CA certificates (no hashed directory, as ecr-mirror).
curl_trusts() {
  curl -s --cacert "$1" --capath "$pki/no-directory" -o /dev/null --max-time 10 "https://$SRC_ADDR/v2/"
}

# ---------------------------------------------------------------- trust decisions
# Each bundle: what curl decides, then ecr-mirror with that bundle as SSL_CERT_FILE. The system
# store alone, an unrelated root and the intermediate alone (an anchor only with PARTIAL_CHAIN,
# which libcurl sets) are the cases where an own store could drift from libcurl's.
for bundle in system:"$system_bundle" stranger:"$pki/stranger.pem" \
  intermediate:"$pki/intermediate.pem" root:"$pki/root.pem"; do
  label="${bundle%%:*}" file="${bundle#*:}"
  expected=1
  curl_trusts "$file" && expected=0
  SSL_CERT_FILE="$file" run_mirror "trust-$label" "${common[@]}" --dry-run
  assert_rc "$expected" "ecr-mirror with $label as SSL_CERT_FILE (curl's exit for it: $expected)"
  if [[ "$expected" != 0 ]]; then
    assert_contains "$(error_text)" "certificate" "error with $label as SSL_CERT_FILE"
    assert_contains "$(error_text)" "not trusted" "hint with $label as SSL_CERT_FILE"
  fi
  log "trust-$label: curl and ecr-mirror both $([[ $expected == 0 ]] && echo accept || echo refuse)"
done
# Both outcomes occurred, or the comparison above proved little.
curl_trusts "$system_bundle" && fail "curl trusts the test registry with the system store alone"
curl_trusts "$pki/intermediate.pem" || fail "curl does not take the intermediate as an anchor"

# ---------------------------------------------------------------- an unreadable bundle
SSL_CERT_FILE="$TEST_TMP/no-such-bundle.pem" run_mirror unreadable "${common[@]}"
assert_rc 1 "ecr-mirror with an SSL_CERT_FILE that does not exist"
assert_contains "$(error_text)" "cannot read the CA certificates in $TEST_TMP/no-such-bundle.pem" \
  "error for an unreadable SSL_CERT_FILE"
assert_contains "$(error_text)" "SSL_CERT_FILE" "fix for an unreadable SSL_CERT_FILE"

# ---------------------------------------------------------------- a copy over TLS
registry_mark SRC
registry_mark DST
SSL_CERT_FILE="$pki/system-and-root.pem" run_mirror copy "${common[@]}" --concurrency 4
assert_rc 0 "copy over TLS"
assert_eq "$digest" "$(output_or_fail mirrored-digest)" "mirrored-digest"
SSL_CERT_FILE="$pki/system-and-root.pem" run_mirror noop "${common[@]}" --concurrency 4
assert_rc 0 "no-op over TLS"
assert_eq false "$(output_or_fail changed)" "changed (no-op over TLS)"
for name in SRC DST; do
  log_file="$(_registry_get "$name" LOG)"
  mark="$(_registry_get "$name" MARK)"
  total="$(tail -n "+$((mark + 1))" "$log_file" | grep -c '"ecr-mirror' || true)"
  h11="$(tail -n "+$((mark + 1))" "$log_file" | grep '"ecr-mirror' | grep -c ' HTTP/1\.1" ' || true)"
  ((total > 0)) || fail "no request of ecr-mirror's in $name's access log"
  assert_eq "$total" "$h11" "$name: ecr-mirror's requests that were HTTP/1.1 (of $total)"
done
assert_same_image "$SRC_ADDR/library/app:1.0" "$DST_ADDR/mirror/app:1.0"

pass
