#!/usr/bin/env bash
# A short run of every libFuzzer target (fuzz/fuzz_*.cpp) under ASan+UBSan, after replaying the
# saved crash inputs in fuzz/regressions/. The targets are built with clang in a build tree of their
# own next to the binary under test (<build>/fuzz, kept between runs). Skipped (77) when clang or
# libFuzzer's runtime (libclang-rt-14-dev) is not installed. ECRM_FUZZ_SECONDS sets the time per
# target (default 15).
set -euo pipefail
source_dir="${ECRM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if [[ -n "${ECRM_FUZZ_BUILD:-}" ]]; then
  build="$ECRM_FUZZ_BUILD"
elif [[ -n "${ECRM_BIN:-}" ]]; then
  build="$(cd "$(dirname "$ECRM_BIN")" && pwd)/fuzz"
else
  build="$source_dir/build/fuzz"
fi
exec "$source_dir/fuzz/run.sh" --build "$build" --seconds "${ECRM_FUZZ_SECONDS:-15}"
