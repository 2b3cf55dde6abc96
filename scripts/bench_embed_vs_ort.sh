#!/bin/bash
# The issue-4 comparison: `attn embed` against ONNX Runtime on the same
# weights (a random all-MiniLM-L6-v2-shaped model) and the same 1000
# sentences of 10-60 tokens, at 1 and 2 threads, interleaved over ROUNDS
# rounds; prints median sentences/s and the ratios.
#
#   scripts/bench_embed_vs_ort.sh [BUILD_DIR] [WORK_DIR] [ORT_DIR] [ROUNDS]
#     defaults: build, /tmp/attn-minilm, /tmp/ortbench, 3
#
# ORT_DIR: a directory where `npm install --ignore-scripts onnxruntime-node`
# was run. ORT gets token ids (tokenization untimed) in batches of 32 padded
# to their longest sentence, once in input order and once sorted by length
# (the best case for padding); attn packs each batch of 32 without padding,
# in input order, and its time includes tokenization. attn also runs with
# --dtype bf16 and --dtype int8 (the encoder's Linear weights converted at
# load); their embeddings' cosine similarity to f32's is printed (minimum
# over the sentences).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
work=${2:-/tmp/attn-minilm}
ort_dir=${3:-/tmp/ortbench}
rounds=${4:-3}
attn="$build/tools/attn"
scripts=$(pwd)/scripts

[ -f "$work/model.onnx" ] || /usr/bin/python3 tests/fixtures/gen_family_fixtures.py --benchmark "$work"
"$attn" tokenize -m "$work" <"$work/sentences.txt" >"$work/ids.jsonl"
/usr/bin/python3 -c "
import json, sys
lines = open('$work/ids.jsonl').read().split('\n')[:-1]
open('$work/ids_sorted.jsonl', 'w').write('\n'.join(sorted(lines, key=lambda l: len(json.loads(l)['ids']))) + '\n')"

rate() { grep -o '([0-9.]* sentences/s' | tr -d '(' | cut -d' ' -f1; }
: >"$work/rates.txt"
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    echo "attn $threads $("$attn" embed -m "$work" -i "$work/sentences.txt" --threads "$threads" 2>&1 >/dev/null | rate)" >>"$work/rates.txt"
    for dtype in bf16 int8; do
      echo "attn-$dtype $threads $("$attn" embed -m "$work" --dtype "$dtype" -i "$work/sentences.txt" --threads "$threads" 2>&1 >/dev/null | rate)" >>"$work/rates.txt"
    done
    for order in input sorted; do
      ids="$work/ids.jsonl"; [ "$order" = sorted ] && ids="$work/ids_sorted.jsonl"
      echo "ort-$order $threads $(cd "$ort_dir" && node "$scripts/bench_embed_ort.mjs" "$work/model.onnx" "$ids" "$threads" 32 2>&1 | rate)" >>"$work/rates.txt"
    done
  done
  echo "round $round done" >&2
done

for dtype in f32 bf16 int8; do
  "$attn" embed -m "$work" --dtype "$dtype" -i "$work/sentences.txt" --format f32 -o "$work/embeddings-$dtype.f32" 2>/dev/null
done

/usr/bin/python3 - "$work" <<'PY'
import json, statistics, sys
import numpy as np
work = sys.argv[1]
hidden = json.load(open(f"{work}/config.json"))["hidden_size"]
rates = {}
for line in open(f"{work}/rates.txt"):
    engine, threads, rate = line.split()
    rates.setdefault((engine, int(threads)), []).append(float(rate))
engines = ("attn", "attn-bf16", "attn-int8", "ort-input", "ort-sorted")
print("sentences/s, medians:")
print("| threads | attn f32 | attn bf16 | attn int8 | ORT, input order | ORT, sorted by length | f32 / ORT sorted | bf16 / ORT sorted | int8 / ORT sorted |")
print("| ------: | -------: | --------: | --------: | ---------------: | --------------------: | ---------------: | ----------------: | ----------------: |")
for t in (1, 2):
    a, b, i, oi, os_ = (statistics.median(rates[(e, t)]) for e in engines)
    print(f"| {t} | {a:.1f} | {b:.1f} | {i:.1f} | {oi:.1f} | {os_:.1f} | {a / os_:.2f}x | {b / os_:.2f}x | {i / os_:.2f}x |")
ref = np.fromfile(f"{work}/embeddings-f32.f32", dtype="<f4").reshape(-1, hidden)
for dtype in ("bf16", "int8"):
    other = np.fromfile(f"{work}/embeddings-{dtype}.f32", dtype="<f4").reshape(-1, hidden)
    cos = np.sum(ref * other, 1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(other, axis=1))
    print(f"{dtype}: cosine similarity to f32, minimum {cos.min():.5f}, median {np.median(cos):.5f} over {len(cos)} sentences")
PY
