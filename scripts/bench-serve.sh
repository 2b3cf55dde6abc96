#!/usr/bin/env bash
# attn serve's batching benchmark (not a test): aggregate decode tokens/s at
# 1, 4, 8 and 16 concurrent streaming clients on a synthetic
# stories110M-shaped model, the ratio to one client, and time to first token.
#   scripts/bench-serve.sh BUILD_DIR [TOKENS_PER_CLIENT]
# The model is written once to $ATTN_BENCH_DIR (default /tmp/attn-bench-stories110M).
# Timings mean something only on a quiet machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
tokens=${2:-64}
model=${ATTN_BENCH_DIR:-/tmp/attn-bench-stories110M}
if ! [ -f "$model/model.safetensors" ]; then
  /usr/bin/python3 "$root/scripts/make_synthetic_llama.py" --preset stories110M -o "$model" >/dev/null
fi
log=$(mktemp)
"$build/tools/attn" serve -m "$model" --alias bench --port 0 --parallel 16 -c 256 >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$log")
echo "attn serve at $url: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
node "$root/scripts/bench-serve.mjs" "$url" bench "$tokens"
