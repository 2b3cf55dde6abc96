#!/bin/sh
# Sentences/s and target tokens/s of `attn translate` on a synthetic Marian
# of opus-mt-en-de's shape (d_model 512, 6+6 layers, 8 heads, FFN 2048,
# vocab 58101; random weights, written by
# tests/fixtures/gen_translation_fixtures.py --benchmark), f32 and int8,
# per thread count: the median of REPS runs (the machine may be shared).
# Random weights rarely choose </s>, so most sentences run to -n tokens.
# Usage: scripts/bench_translate.sh [DIR=/tmp/attn-bench-marian] [LINES=64] [REPS=3] [THREADS="1 2"]
#        [BEAM=4] [BATCH=32] [MAX_NEW_TOKENS=32]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/attn-bench-marian} lines=${2:-64} reps=${3:-3} threads=${4:-"1 2"}
beam=${5:-4} batch=${6:-32} max_new=${7:-32}
attn=${ATTN:-$here/build/tools/attn}
[ -f "$dir/model.safetensors" ] || /usr/bin/python3 "$here/tests/fixtures/gen_translation_fixtures.py" --benchmark "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n "$lines" "$dir/sentences.txt" >"$work/lines.txt"

echo "| dtype | threads | sentences/s (median of $reps) | target tokens/s | runs (sentences/s) |"
echo "| ----- | ------: | ------: | ------: | --- |"
for dtype in f32 int8; do
  for t in $threads; do
    runs="" tokens=""
    for _ in $(seq "$reps"); do
      summary=$("$attn" translate -m "$dir" --dtype "$dtype" -i "$work/lines.txt" -o "$work/out.txt" -t "$t" \
        --beam-size "$beam" --batch-size "$batch" -n "$max_new" 2>&1 | tail -n 1)
      runs="$runs $(echo "$summary" | sed -n 's|.*(\([0-9.]*\) sentences/s.*|\1|p')"
      tokens="$tokens $(echo "$summary" | sed -n 's|.* \([0-9.]*\) tokens/s.*|\1|p')"
    done
    median() { echo $1 | tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
    echo "| $dtype | $t | $(median "$runs") | $(median "$tokens") |$runs |"
  done
done
