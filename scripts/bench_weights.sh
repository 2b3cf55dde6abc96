#!/bin/bash
# The issue-7 benchmark: a synthetic Llama of the stories110M shape in every
# weight type attn runs, `attn bench` at 1 and 2 threads, one Markdown table.
#
#   scripts/bench_weights.sh [BUILD_DIR] [WORK_DIR]     (defaults: build, /tmp/attn-bench)
#
# Prints the table and writes it into README.md between the
# <!-- bench-weights --> markers, with the machine it ran on. Needs
# /usr/bin/python3 with numpy (model generator). Run it on an idle machine:
# timings are medians of 5, but other load still shows.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-/tmp/attn-bench}
attn="$build/tools/attn"
mkdir -p "$work"

models=()
for dtype in f32 bf16 f16; do
  [ -d "$work/$dtype" ] || /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M --dtype "$dtype" -o "$work/$dtype" >/dev/null
  models+=("$dtype")
done
if "$attn" quantize --help >/dev/null 2>&1; then
  [ -d "$work/int8" ] || "$attn" quantize -m "$work/f32" -o "$work/int8" --type int8 >/dev/null
  models+=(int8)
fi

for dtype in "${models[@]}"; do
  echo "bench $dtype" >&2
  "$attn" bench -m "$work/$dtype" -p 128 -n 64 -t 1,2 -r 5 --json | sed "s/^{/{\"weights\":\"$dtype\",/"
done >"$work/results.jsonl"

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
runtime=$("$attn" inspect -m "$work/f32" | grep -m1 "^runtime" | cut -d: -f2- | sed 's/^ *//' || true)
table=$(python3 - "$work/results.jsonl" "$cpu" "$(nproc)" "$runtime" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
by = {(r["weights"], r["threads"], r["test"][:2]): r for r in rows}
f32_tg = {t: by[("f32", t, "tg")]["median_tokens_per_second"] for (w, t, k) in by if w == "f32" and k == "tg"}
print(f"{sys.argv[2]}, {sys.argv[3]} cores used as 1 and 2 threads; {sys.argv[4]}; synthetic stories110M shape "
      "(dim 768, hidden 2048, 12 layers, vocab 32000), `scripts/bench_weights.sh`:\n")
print("| weights | size | threads | pp128 t/s | of GEMM | tg64 t/s | of bandwidth | decode vs f32 | peak RSS decoding | first token |")
print("| ------- | ---: | ------: | --------: | ------: | -------: | -----------: | ------------: | ----------------: | ----------: |")
for (w, t, k), tg in sorted(by.items(), key=lambda i: (["f32", "bf16", "f16", "int8"].index(i[0][0]), i[0][1])):
    if k != "tg":
        continue
    pp = by.get((w, t, "pp"), {})
    mib = lambda b: f"{b / 1048576:.0f} MiB"
    print(f"| {w} | {mib(tg['weight_bytes'])} | {t} | {pp.get('median_tokens_per_second', 0):.1f} | "
          f"{100 * pp.get('ceiling_fraction', 0):.0f} % | {tg['median_tokens_per_second']:.1f} | "
          f"{100 * tg['ceiling_fraction']:.0f} % | {tg['median_tokens_per_second'] / f32_tg[t]:.2f}x | "
          f"{mib(tg['peak_rss_bytes'])} | {tg['first_token_seconds'] * 1000:.0f} ms |")
PY
)
echo "$table"
python3 - README.md "$table" <<'PY'
import re, sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- bench-weights:begin -->", "<!-- bench-weights:end -->"
if begin in text and end in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{table}\n{end}", text, flags=re.S)
    open(path, "w").write(text)
PY
