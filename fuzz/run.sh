#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each one for a while: first every
# saved crash input in fuzz/regressions/<target>/ once, then fresh fuzzing from the seed corpus.
#
#   fuzz/run.sh [--build DIR] [--seconds N] [--artifacts DIR] [TARGET...]
#
# DIR defaults to build/fuzz (kept between runs: the library is rebuilt only when it changed).
# New corpus entries go to DIR/corpus/<target>, never into the repository's seed corpus.
# Exit codes: 0 all clean, 1 a crash or an invariant failure, 77 clang or its fuzzer runtime is
# missing (the ctest convention for "skipped").
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build/fuzz"
seconds=60
artifacts=""
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --artifacts) artifacts="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz/run.sh: --seconds wants a whole number" >&2; exit 2; }
artifacts="${artifacts:-$build/artifacts}"

# libFuzzer ships in clang's runtime package (Debian: libclang-rt-14-dev); clang alone links
# nothing with -fsanitize=fuzzer, so try it rather than trust `command -v`.
cxx="${FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found; install clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)" >&2
  exit 77
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$probe/p.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err"; then
  echo "SKIP: $cxx cannot link libFuzzer with ASan+UBSan; install libclang-rt-14-dev" >&2
  sed 's/^/  /' "$probe/err" | head -n 5 >&2
  exit 77
fi

mkdir -p "$build"
if [[ ! -f "$build/build.ninja" ]]; then
  CXX="$cxx" cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DECRM_FUZZ=ON -DECRM_TESTS=OFF -DECRM_UNITY=ON >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
fi
if ! cmake --build "$build" --target fuzz_all -j "$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log" >&2
  echo "fuzz/run.sh: building the fuzz targets failed (log: $build/build.log)" >&2
  exit 1
fi

if [[ ${#targets[@]} -eq 0 ]]; then
  for source in "$repo"/fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp)"); done
fi

# Reports go to stderr (where the summary below looks for them) with a stack, and a UBSan finding
# stops the run like an ASan one; options inherited from a sanitized test run must not redirect them.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0
summary=()
for target in "${targets[@]}"; do
  binary="$build/fuzz/$target"
  [[ -x "$binary" ]] || { echo "fuzz/run.sh: no target $target" >&2; exit 2; }
  log="$build/$target.log"
  mkdir -p "$build/corpus/$target" "$artifacts/$target"

  # 1. Every saved crash input, once each: a fixed bug stays fixed.
  regressions=()
  if [[ -d "$repo/fuzz/regressions/$target" ]]; then
    while IFS= read -r -d '' file; do regressions+=("$file"); done \
      < <(find "$repo/fuzz/regressions/$target" -type f ! -name '.*' -print0 | sort -z)
  fi
  if [[ ${#regressions[@]} -gt 0 ]]; then
    for input in "${regressions[@]}"; do
      if ! "$binary" -timeout=10 "$input" >"$log" 2>&1; then
        echo "FAIL $target: regression input ${input#"$repo"/} crashes:" >&2
        grep -m 1 -E 'runtime error|invariant failed|ERROR: AddressSanitizer|ERROR: libFuzzer' "$log" >&2 || tail -n 20 "$log" >&2
        summary+=("$(printf '%-18s %s' "$target" "FAIL regression ${input##*/}")")
        failed=1
        continue 2
      fi
    done
  fi

  # 2. Fuzzing from the seeds plus what earlier runs found.
  dict=()
  [[ -f "$repo/fuzz/dict/$target.dict" ]] && dict=(-dict="$repo/fuzz/dict/$target.dict")
  status=0
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$artifacts/$target/" \
    "$build/corpus/$target" "$repo/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  stats="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true)"
  runs="$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$stats")"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")"
  corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$stats")"
  if [[ $status -eq 0 ]]; then
    summary+=("$(printf '%-18s ok    runs %-10s cov %-6s corpus %s' "$target" "$runs" "$cov" "$corp")")
  else
    failed=1
    crash="$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)"
    echo "FAIL $target (exit $status); log: $log" >&2
    grep -m 1 -E 'runtime error|invariant failed|ERROR: AddressSanitizer|ERROR: libFuzzer' "$log" >&2 || true
    grep -E '^[[:space:]]+#[0-9]+ .* in ' "$log" | head -n 12 >&2 || true
    if [[ -n "$crash" && -f "$crash" ]]; then
      echo "input: $crash (base64: $(base64 -w0 <"$crash" | head -c 2000))" >&2
      echo "replay: $binary $crash" >&2
    fi
    summary+=("$(printf '%-18s FAIL  runs %-10s cov %-6s corpus %s' "$target" "$runs" "$cov" "$corp")")
  fi
done

echo "fuzz results (${seconds}s per target, build $build):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
