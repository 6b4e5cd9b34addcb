#!/usr/bin/env bash
# The action's container image, built with podman and run the way the Actions runner runs it.
# The suite lives in tests/container/run.sh (README: contributors can run it directly); this
# wrapper makes ctest run it as integration.container_action. It exits 77 (skipped) with the
# reason when it cannot run: not root, podman/runc/debootstrap missing, or ECRM_SKIP_CONTAINER=1.
set -uo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/../container/run.sh" "$@"
