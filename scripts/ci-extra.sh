#!/usr/bin/env bash
# The checks beyond the gcc build and test: the clang build (with ASan and
# UBSan, every finding fatal) runs the whole test suite, then every fuzz
# target for a bounded time. Exit status non-zero on any failure or finding.
#
#   scripts/install-deps.sh && scripts/ci-extra.sh [SECONDS_PER_FUZZ_TARGET]
#
# Default 40 s per target: with 7 targets, under 5 minutes of fuzzing on top
# of the build and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-40}
build=build-fuzz

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DATTN_FUZZ=ON \
  $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --build "$build" -j2
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir "$build" --output-on-failure
scripts/fuzz.sh -t "$seconds" -b "$build"
