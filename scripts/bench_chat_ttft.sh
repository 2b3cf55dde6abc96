#!/bin/sh
# Time to first token of turn 1 and turn 10 of a chat on one session (the
# KV cache reused: each turn prefills only its own tokens), against turn 10's
# whole conversation prefilled from scratch (what a chat without prefix
# reuse pays). Not a test: timings depend on the machine and its load.
#
#   scripts/bench_chat_ttft.sh [MODEL_DIR] [CHAT_TEMPLATE.jinja] [THREADS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
attn=${ATTN:-$here/build/tools/attn}
model=${1:-$here/../shared/models/stories260K-hf}
template=${2:-$here/../shared/chat_templates/deepseek-ai-DeepSeek-V3.1.jinja}
threads=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

i=1
while [ $i -le 10 ]; do
  echo "Tell me a short story about animal number $i and what it likes to eat." >>"$work/turns.txt"
  i=$((i + 1))
done

"$attn" chat -m "$model" --chat-template "$template" -n 32 --temp 0 -t "$threads" --timings \
  <"$work/turns.txt" >"$work/answers.txt" 2>"$work/timings.txt"
grep 'turn 1:\|turn 10:' "$work/timings.txt"

# Turn 10 from scratch: the same conversation (with the answers the chat
# gave) prefilled in full.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
turns = open(f"{work}/turns.txt").read().splitlines()
answers = open(f"{work}/answers.txt").read().split("\n")
messages = []
for k, turn in enumerate(turns):
    messages.append({"role": "user", "content": turn})
    if k < 9:
        messages.append({"role": "assistant", "content": answers[k]})
json.dump(messages, open(f"{work}/turn10.json", "w"))
PY
"$attn" generate -m "$model" --chat-template "$template" --messages "$work/turn10.json" -n 1 --temp 0 \
  -t "$threads" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
t = r["timings"]
print(f"turn 10 from scratch: {t[\"prompt_tokens\"]} tokens prefilled in {t[\"prefill_seconds\"] * 1e3:.1f} ms (time to first token)")'
