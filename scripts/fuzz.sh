#!/usr/bin/env bash
# Builds and runs the libFuzzer targets (tests/fuzz/fuzz_*.cpp) under ASan +
# UBSan (every finding fatal), one after another, and prints executions and
# findings per target. Exit status 1 when any target found something (a
# sanitizer report, an exception other than attn::Error escaping, a crash, a
# timeout or an OOM); the reproducer is saved in BUILD_DIR/fuzz-findings/<target>/.
#
#   scripts/fuzz.sh [-t SECONDS_PER_TARGET] [-r RUNS] [-b BUILD_DIR] [--build-only | --no-build] [TARGET...]
#
# Long local runs (default 600 s per target) keep the inputs they find in
# BUILD_DIR/fuzz-work/<target>/ between runs. -r RUNS is the smoke test ctest
# runs: each target over its seed corpus, then RUNS random inputs from a
# fixed seed (at most SECONDS), from an empty work directory. The committed
# seeds in tests/fuzz/corpus/<target>/ are only read.
# BUILD_DIR (default build-fuzz) is configured with clang++ and -DATTN_FUZZ=ON,
# and only the fuzz targets and the libraries they link are built.
# Reproduce a finding: BUILD_DIR/tests/fuzz/fuzz_<target> BUILD_DIR/fuzz-findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
runs=""
build=build-fuzz
mode=all
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) seconds=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    -b) build=$2; shift 2 ;;
    --build-only) mode=build; shift ;;
    --no-build) mode=run; shift ;;
    -*) echo "usage: $0 [-t SECONDS_PER_TARGET] [-r RUNS] [-b BUILD_DIR] [--build-only | --no-build] [TARGET...]" >&2
        exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for source in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp | sed 's/^fuzz_//')"); done
fi

if [ "$mode" != run ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    # The attn command and the test suites are not needed: only the targets.
    # -O1 and line tables only, as OSS-Fuzz builds: quick to compile, readable stack traces.
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELEASE="-O1 -gline-tables-only -DNDEBUG" -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DATTN_FUZZ=ON -DATTN_BUILD_CLI=OFF -DATTN_BUILD_TESTS=OFF \
      $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake --build "$build" -j"${ATTN_FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}"
fi
[ "$mode" = build ] && exit 0

# Every sanitizer finding is fatal; leaks count as findings too.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

status=0
summary=""
for target in "${targets[@]}"; do
  work="$build/fuzz-work/$target"
  findings="$build/fuzz-findings/$target"
  seeds="tests/fuzz/corpus/$target"
  limits=(-max_total_time="$seconds")
  if [ -n "$runs" ]; then
    rm -rf "$work"
    limits+=(-seed=1 -runs=$(($(ls "$seeds" | wc -l) + runs)))
  fi
  mkdir -p "$work" "$findings"
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
  log="$findings/last-run.log"
  echo "== fuzz_$target: ${runs:+$runs runs or }${seconds}s" >&2
  # -rss_limit_mb: a model may legitimately map a few hundred MB; more is a finding.
  if "$build/tests/fuzz/fuzz_$target" "${limits[@]}" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$findings/" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1; then
    result="ok"
  else
    result="FINDING (see $log and $findings/)"
    status=1
    tail -n 40 "$log" >&2
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  summary+=$(printf '%-16s %10s executions  %s' "$target" "${executions:-?}" "$result")$'\n'
done
printf '%s' "$summary"
exit $status
