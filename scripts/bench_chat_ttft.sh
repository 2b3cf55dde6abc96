#!/bin/sh
# Time to first token of turn 1 and turn 10 of a chat on one session (the
# KV cache reused: each turn prefills only its own tokens), against turn 10's
# whole conversation prefilled from scratch (what a chat without prefix
# reuse pays). Not a test: timings depend on the machine and its load.
#
#   scripts/bench_chat_ttft.sh [MODEL_DIR] [CHAT_TEMPLATE.jinja] [THREADS]
#
# The default model (stories260K, 512-token context) gets a small template
# so that ten turns fit its context without dropping any.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
attn=${ATTN:-$here/build/tools/attn}
model=${1:-$here/../shared/models/stories260K-hf}
threads=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s' '{% for m in messages %}{{ m.role }}: {{ m.content }}
{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}' >"$work/plain.jinja"
template=${2:-$work/plain.jinja}

i=1
while [ $i -le 10 ]; do
  echo "Tell me about animal $i." >>"$work/turns.txt"
  i=$((i + 1))
done

"$attn" chat -m "$model" --chat-template "$template" -n 16 --temp 0 -t "$threads" --timings \
  <"$work/turns.txt" >"$work/answers.txt" 2>"$work/timings.txt"
grep 'turn 1:\|turn 10:\|dropped' "$work/timings.txt" || true

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
print("turn 10 from scratch: %d tokens prefilled in %.1f ms (time to first token)" % (t["prompt_tokens"], t["prefill_seconds"] * 1e3))'
