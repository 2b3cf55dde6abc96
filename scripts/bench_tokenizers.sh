#!/usr/bin/env bash
# Tokenizer throughput, one thread, on 10 MiB of English prose: attn's
# tokenizer.json pipelines (GPT-2 byte-level BPE, BERT WordPiece) against
# transformers.js on the same text and the same tokenizer files.
#   scripts/bench_tokenizers.sh [BUILD_DIR]     (default: build)
# transformers.js is looked for in $NODE_DEPS (default /tmp/tjs); install it
# there with: npm install @huggingface/transformers (ONNXRUNTIME_NODE_INSTALL=skip).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
text=$(mktemp --suffix=.txt)
trap 'rm -f "$text"' EXIT

"$root/scripts/make_bench_text.sh" "$text"
echo "text: $(stat -c %s "$text") bytes"
log=$(mktemp)
cmake --build "$build" --target bench_tokenizer_throughput >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
ATTN_BENCH_TEXT="$text" "$build/tests/bench_tokenizer_throughput" | sed -n 's/.*MESSAGE: /attn /p'
if [ -d "${NODE_DEPS:-/tmp/tjs}/node_modules/@huggingface/transformers" ]; then
  node "$root/scripts/bench_tokenizers.mjs" "$text"
else
  echo "transformers.js not found in ${NODE_DEPS:-/tmp/tjs}: skipped"
fi
