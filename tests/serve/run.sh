#!/usr/bin/env bash
# Runs attn serve's tests (node's test runner, the openai npm client):
#   run.sh WORK_DIR ATTN_CLI SHARED_DIR FIXTURES_DIR TEST_FILE...
# Installs the locked npm packages when node_modules is missing or older than
# the lockfile, and makes the synthetic model the slow tests need in WORK_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$1
export ATTN_CLI=$2 ATTN_SHARED_DIR=$3 ATTN_FIXTURES_DIR=$4
shift 4
cd "$here"
if ! [ node_modules/.package-lock.json -nt package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Random weights never end a text early, and the model is big enough that a
# generation takes a while: requests can be cancelled or drained mid-way.
export ATTN_SERVE_SYNTHETIC="$work/synthetic"
if ! [ -f "$ATTN_SERVE_SYNTHETIC/model.safetensors" ]; then
  mkdir -p "$work"
  /usr/bin/python3 "$here/../../scripts/make_synthetic_llama.py" --dim 384 --hidden 1024 --layers 6 --heads 6 \
    --kv-heads 6 --vocab 512 --seq 8192 -o "$ATTN_SERVE_SYNTHETIC" >/dev/null
fi
exec node --test "$@"
