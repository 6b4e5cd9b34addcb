# shellcheck shell=bash
# podman set up for tests/container/run.sh without touching the machine's own configuration:
# a private containers.conf (runc, cgroupfs: crun fails here, see ../shared/MACHINE-NOTES.md),
# storage.conf and registries.conf, all through CONTAINERS_* variables. No Docker Hub here, so
# the Dockerfile's base image, debian:bookworm-slim, is made locally with debootstrap from the
# Debian mirror apt uses and imported under exactly that name.
#
#   podman_setup DIR      writes the config files into DIR and exports CONTAINERS_*
#   ensure_base_image     imports $BASE_IMAGE unless the store already has the current one
#   podman_cleanup        unmounts anything left under a half-built root file system
#
# The base tarball and podman's storage live under ECRM_CONTAINER_CACHE
# (/var/cache/ecr-mirror-test), so only the first run pays for debootstrap and the compiler layer.

ECRM_CONTAINER_CACHE="${ECRM_CONTAINER_CACHE:-/var/cache/ecr-mirror-test}"
# podman's database records these paths: the same on every run, one set per cache dir.
ECRM_CONTAINER_RUN="/run/ecr-mirror-test/$(printf '%s' "$ECRM_CONTAINER_CACHE" | sha256sum | cut -c1-12)"
BASE_IMAGE=docker.io/library/debian:bookworm-slim
BASE_SUITE=bookworm
# Bump when the way the base image is made changes: the cached tarball is then rebuilt.
BASE_RECIPE=2
_ROOTFS=""

podman_setup() {
  local dir="$1"
  mkdir -p "$dir" "$ECRM_CONTAINER_CACHE/podman" "$ECRM_CONTAINER_RUN"
  cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ECRM_CONTAINER_RUN/events.log"
tmp_dir = "$ECRM_CONTAINER_RUN/libpod"

[network]
network_config_dir = "$ECRM_CONTAINER_CACHE/podman/networks"
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$ECRM_CONTAINER_CACHE/podman/storage"
runroot = "$ECRM_CONTAINER_RUN/storage"
EOF
  # Short names resolve to docker.io, where the imported base image claims to come from; builds
  # run with --pull=never, so nothing is ever fetched.
  cat >"$dir/registries.conf" <<'EOF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
  export CONTAINERS_CONF="$dir/containers.conf"
  export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
  export CONTAINERS_REGISTRIES_CONF="$dir/registries.conf"
  podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' >"$dir/info" 2>"$dir/info.err" ||
    fail "podman does not work with this configuration: $(tail -n 5 "$dir/info.err")"
  log "podman: $(cat "$dir/info"), storage in $ECRM_CONTAINER_CACHE/podman"
}

# The Debian archive and security URIs apt uses here, from deb822 .sources or one-line .list
# files (or the FILES given); prints "ARCHIVE SECURITY" (SECURITY may be "-").
_apt_uris() {
  local files=() f
  (($#)) || set -- /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
  for f in "$@"; do
    if [[ -f "$f" ]]; then files+=("$f"); fi
  done
  ((${#files[@]})) || {
    printf 'http://deb.debian.org/debian -\n'
    return
  }
  awk -v suite="$BASE_SUITE" '
    function take(uri, suites) {
      if (uri !~ /^https?:\/\//) return
      if (suites ~ ("(^| )" suite "-security( |$)")) { if (sec == "") sec = uri }
      else if (suites ~ ("(^| )" suite "( |$)")) { if (arc == "") arc = uri }
    }
    FNR == 1 { if (uris != "") take(uris, suites); uris = ""; suites = "" }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { if (uris != "") take(uris, suites); uris = ""; suites = ""; next }
      if ($1 == "URIs:") uris = $2
      if ($1 == "Suites:") { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
      next
    }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) while ($i !~ /\]$/) i++
      if ($i ~ /^\[/ || $i ~ /\]$/) i++
      take($i, $(i + 1))
    }
    END {
      if (uris != "") take(uris, suites)
      if (arc == "") arc = "http://deb.debian.org/debian"
      printf "%s %s\n", arc, (sec == "" ? "-" : sec)
    }
  ' "${files[@]}"
}

# Makes the image's apt behave like the real debian:bookworm-slim (the same sources layout,
# slimmed docs) and like apt on this host (its Acquire:: settings, e.g. for a snapshot mirror
# whose Release files are past Valid-Until).
_slimify() {
  local root="$1" archive="$2" security="$3"
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$archive" "$BASE_SUITE" "$BASE_SUITE"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [[ "$security" != - ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$BASE_SUITE"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' \
    >"$root/etc/apt/apt.conf.d/99host-acquire" || true
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  rm -rf "$root"/usr/share/{groff,info,linda,lintian,man}/* "$root"/var/cache/man/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  rm -rf "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/*
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
}

_unmount_under() {
  local root="$1" mount_point
  [[ -n "$root" ]] || return 0
  while read -r mount_point; do
    umount -l "$mount_point" 2>/dev/null || true
  done < <(awk -v r="$root" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r)
}

podman_cleanup() {
  _unmount_under "$_ROOTFS"
}

# _build_base_tarball OUT ARCHIVE SECURITY: debootstrap --variant=minbase, slimmed, as a tar.
_build_base_tarball() {
  local out="$1" archive="$2" security="$3"
  _ROOTFS="$TEST_TMP/rootfs"
  mkdir -p "$_ROOTFS"
  log "debootstrap --variant=minbase $BASE_SUITE from $archive (once; cached in $out)"
  local started=$SECONDS
  timeout --kill-after=10 1200 debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" \
    "$BASE_SUITE" "$_ROOTFS" "$archive" >"$TEST_TMP/debootstrap.log" 2>&1 || {
    _unmount_under "$_ROOTFS"
    fail "debootstrap failed: $(tail -n 20 "$TEST_TMP/debootstrap.log")"
  }
  _unmount_under "$_ROOTFS"
  _slimify "$_ROOTFS" "$archive" "$security"
  tar -C "$_ROOTFS" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$out.tmp" . || fail "cannot write $out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$_ROOTFS"
  _ROOTFS=""
  log "base tarball made in $((SECONDS - started)) s: $(du -h "$out" | cut -f1)"
}

ensure_base_image() {
  local uris archive security key tarball current
  uris="$(_apt_uris)"
  archive="${uris% *}"
  security="${uris#* }"
  key="$(printf '%s\n' "$BASE_RECIPE" "$BASE_SUITE" "$archive" "$security" "$(dpkg --print-architecture)" |
    sha256sum | cut -c1-16)"
  current="$(podman image inspect --format '{{index .Labels "ecrm.base.key"}}' "$BASE_IMAGE" 2>/dev/null || true)"
  if [[ "$current" == "$key" ]]; then
    log "base image $BASE_IMAGE is current (key $key)"
    return 0
  fi
  tarball="$ECRM_CONTAINER_CACHE/debian-$BASE_SUITE-slim-$key.tar"
  # Two suites (or two checkouts) may start at once: one makes the tarball, the other waits.
  exec {lock_fd}>"$ECRM_CONTAINER_CACHE/base.lock"
  flock -w 1500 "$lock_fd" || fail "timed out waiting for $ECRM_CONTAINER_CACHE/base.lock"
  [[ -s "$tarball" ]] || _build_base_tarball "$tarball" "$archive" "$security"
  podman import --change 'CMD ["bash"]' --change "LABEL ecrm.base.key=$key" "$tarball" "$BASE_IMAGE" \
    >"$TEST_TMP/import.log" 2>&1 || fail "podman import failed: $(tail -n 5 "$TEST_TMP/import.log")"
  flock -u "$lock_fd"
  exec {lock_fd}>&-
  # Older tarballs (another mirror, an older recipe) are not needed any more.
  find "$ECRM_CONTAINER_CACHE" -maxdepth 1 -name "debian-$BASE_SUITE-slim-*.tar" ! -name "${tarball##*/}" -delete
  log "imported $tarball as $BASE_IMAGE"
}
