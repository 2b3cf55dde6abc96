#!/bin/bash
# --compute-type f32 against bf16: a synthetic Llama of the stories110M shape
# with f32, f16 and bf16 weights, `attn bench` pp128 / tg64 at 1 and 2
# threads. Runs are interleaved (every weights x compute pair once per round,
# ROUNDS rounds), each the median of 3 repetitions; the table gives the median
# over rounds and the load average before and after.
#
#   scripts/bench_compute_type.sh [BUILD_DIR] [WORK_DIR]     (defaults: build, /tmp/attn-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-/tmp/attn-bench}
rounds=${ROUNDS:-3}
attn="$build/tools/attn"
mkdir -p "$work"
for dtype in f32 f16 bf16; do
  [ -d "$work/$dtype" ] || /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M --dtype "$dtype" -o "$work/$dtype" >/dev/null
done

echo "before: $(uptime)"
: >"$work/compute_type.jsonl"
for round in $(seq "$rounds"); do
  for dtype in f32 f16 bf16; do
    for compute in f32 bf16; do
      echo "round $round: $dtype weights, $compute compute" >&2
      "$attn" bench -m "$work/$dtype" -p 128 -n 64 -t 1,2 -r 3 --no-probe --compute-type "$compute" --json |
        sed "s/^{/{\"weights\":\"$dtype\",\"asked\":\"$compute\",\"round\":$round,/" >>"$work/compute_type.jsonl"
    done
  done
done
echo "after: $(uptime)"

/usr/bin/python3 - "$work/compute_type.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def median(weights, compute, threads, test):
    values = [r["median_tokens_per_second"] for r in rows if (r["weights"], r["asked"], r["threads"],
              r["test"][:2]) == (weights, compute, threads, test)]
    return statistics.median(values), len(values)
def rss(weights, compute, threads):
    return max(r["peak_rss_bytes"] for r in rows if (r["weights"], r["asked"], r["threads"]) ==
               (weights, compute, threads)) / 1048576
print("| weights | threads | pp128 f32 | pp128 bf16 | speed-up | tg64 f32 | tg64 bf16 | peak RSS f32 | peak RSS bf16 |")
print("| ------- | ------: | --------: | ---------: | -------: | -------: | --------: | -----------: | ------------: |")
for weights in ("f32", "f16", "bf16"):
    for threads in (1, 2):
        (pp32, n), (pp16, _) = median(weights, "f32", threads, "pp"), median(weights, "bf16", threads, "pp")
        (tg32, _), (tg16, _) = median(weights, "f32", threads, "tg"), median(weights, "bf16", threads, "tg")
        print(f"| {weights} | {threads} | {pp32:.1f} | {pp16:.1f} | {pp16 / pp32:.2f}x | {tg32:.1f} | {tg16:.1f} | "
              f"{rss(weights, 'f32', threads):.0f} MiB | {rss(weights, 'bf16', threads):.0f} MiB |")
print(f"\n(t/s, median of {n} interleaved rounds, each the median of 3 repetitions)")
PY
