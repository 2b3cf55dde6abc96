#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/fuzz_*.cpp) for a bounded time under
# ASan + UBSan, one after another, and prints executions and findings per
# target. Exit status 1 when any target found something (a sanitizer report,
# an exception other than attn::Error escaping, a crash, a timeout or OOM);
# the reproducer is saved in fuzz-findings/<target>/.
#
#   scripts/fuzz.sh [-t SECONDS_PER_TARGET] [-b BUILD_DIR] [TARGET...]
#
# Builds BUILD_DIR (default build-fuzz) with clang and -DATTN_FUZZ=ON first.
# New inputs go to fuzz-work/<target>/ (kept between runs, not committed);
# the committed seeds in tests/fuzz/corpus/<target>/ are read only.
# Reproduce a finding: BUILD_DIR/tests/fuzz/fuzz_<target> fuzz-findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
build=build-fuzz
while getopts "t:b:" option; do
  case $option in
    t) seconds=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS_PER_TARGET] [-b BUILD_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DATTN_FUZZ=ON \
    $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for source in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp | sed 's/^fuzz_//')"); done
fi
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

# Every sanitizer finding is fatal; leaks count as findings too.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

status=0
summary=""
for target in "${targets[@]}"; do
  work="fuzz-work/$target"
  findings="fuzz-findings/$target"
  mkdir -p "$work" "$findings"
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
  log="$findings/last-run.log"
  echo "== fuzz_$target: ${seconds}s" >&2
  # -rss_limit_mb: a model may legitimately map a few hundred MB; more is a finding.
  if "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    result="ok"
  else
    result="FINDING (see $log and $findings/)"
    status=1
    tail -n 40 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  summary+=$(printf '%-16s %10s executions  %s' "$target" "${runs:-?}" "$result")$'\n'
done
printf '%s' "$summary"
exit $status
