#!/bin/sh
# Tokens/s of `attn score` per batch size and thread count (lines/s for
# classifiers, which do not count tokens): the median of REPS runs (the
# machine may be shared; medians resist its noise).
# Usage: scripts/bench_score.sh MODEL [LINES=90] [REPS=3] [BATCH_SIZES="1 8 32"] [THREADS="1 2"]
# Input: LINES lines cycled from tests/fixtures/score/corpus.txt (short
# story sentences, ~20 tokens each with a Llama tokenizer).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1 lines=${2:-90} reps=${3:-3} batch_sizes=${4:-"1 8 32"} threads=${5:-"1 2"}
attn=${ATTN:-$here/build/tools/attn}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/input.txt"
while [ "$(wc -l <"$work/input.txt")" -lt "$lines" ]; do cat "$here/tests/fixtures/score/corpus.txt" >>"$work/input.txt"; done
head -n "$lines" "$work/input.txt" >"$work/lines.txt"

echo "| threads | batch size | rate (median of $reps) | runs |"
echo "| ------: | ---------: | ------: | --- |"
for t in $threads; do
  for b in $batch_sizes; do
    runs=""
    for _ in $(seq "$reps"); do
      summary=$("$attn" score -m "$model" -i "$work/lines.txt" -o "$work/out.jsonl" -t "$t" --batch-size "$b" 2>&1 | tail -n 1)
      unit="tokens/s"
      case $summary in *tokens/s*) ;; *) unit="lines/s" ;; esac
      rate=$(echo "$summary" | sed -n "s|.*[ (]\([0-9.]*\) $unit.*|\1|p")
      runs="$runs $rate"
    done
    median=$(echo $runs | tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
    echo "| $t | $b | $median $unit |$runs |"
  done
done
