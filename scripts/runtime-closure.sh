#!/bin/sh
# runtime-closure.sh BINARY BASE_PACKAGES OUT: copies into OUT (same paths) the shared libraries
# BINARY loads that no package of the base image provides, and the CA bundle, so the action's
# final stage is the base plus what the binary needs at run time — not the -dev packages'
# dependency closure (libcurl4 pulls in LDAP, Kerberos and SASL configuration, openssl, ...).
# BASE_PACKAGES: `dpkg-query -W -f '${Package}\n'` of the base image, taken before anything was
# installed. Fails when a library cannot be found or attributed, so a missing one breaks the build,
# not the first workflow run.
set -eu
binary="$1" base="$2" out="$3"
mkdir -p "$out"
ldd "$binary" >/tmp/ldd.out
if grep -q 'not found' /tmp/ldd.out; then
  echo "runtime-closure: $(grep 'not found' /tmp/ldd.out)" >&2
  exit 1
fi
for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' /tmp/ldd.out); do
  real="$(readlink -f "$lib")"
  # With merged /usr, dpkg knows a file by one of its two names (/lib/… or /usr/lib/…).
  package=""
  for name in "$real" "$lib" "$(echo "$real" | sed 's|^/usr/lib/|/lib/|')" "$(echo "$lib" | sed 's|^/lib/|/usr/lib/|')"; do
    package="$(dpkg -S "$name" 2>/dev/null | head -n 1 | cut -d: -f1)"
    [ -n "$package" ] && break
  done
  if [ -z "$package" ]; then
    echo "runtime-closure: no package owns $lib" >&2
    exit 1
  fi
  grep -qx "$package" "$base" && continue
  # The file and the soname link ldd resolved through, in the directory's real path: with merged
  # /usr, /lib is a symlink, and a /lib directory in the copy would replace it.
  link="$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"
  mkdir -p "$out$(dirname "$real")" "$out$(dirname "$link")"
  cp -a "$real" "$out$real"
  [ "$link" = "$real" ] || cp -a "$lib" "$out$link"
  echo "runtime-closure: $lib ($package)"
done
# libcurl's compiled-in CA bundle (Debian: /etc/ssl/certs/ca-certificates.crt), one file.
mkdir -p "$out/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
