#!/bin/bash
# attn against llama.cpp on the same weights (issue 17): a synthetic Llama of
# the stories110M shape, `attn bench` on its Hugging Face folder (weights
# converted at load with --dtype, or by `attn quantize` for q4_k_m) and
# `llama-bench` on GGUF files made from the same folder (F32 by attn's own
# writer, tests/fixtures/gguf/hf_to_gguf.py, then F16/Q8_0/Q4_0/Q4_K_M by
# llama.cpp's own llama-quantize). llama.cpp's convert_hf_to_gguf.py is not
# used: it needs the `transformers` Python package, which Debian 12 lacks.
#
#   scripts/bench_vs_llamacpp.sh [LLAMA_CPP_DIR]    (or LLAMA_CPP=DIR; default /work/llama.cpp)
#
# LLAMA_CPP_DIR is a llama.cpp source tree kept outside this repository; the
# script never downloads anything. Its tools are built once, in
# LLAMA_CPP_DIR/build-attn-bench (Release, CPU only, GGML_NATIVE, only the
# targets needed; the graph builders of architectures other than llama at -O0,
# scripts/llamacpp_build_fast.cmake), unless LLAMA_CPP_BIN names a directory
# that has them. An interrupted build resumes where it stopped.
#
# Each pair of runs is interleaved, llama.cpp then attn, ROUNDS times (median
# of the rounds, one repetition per run after each tool's own warm-up), at
# every thread count of THREADS: prefill pp$PP and decode tg$TG from an empty
# context, and decode tg$TG after a $DEPTH-token context for DEPTH_PAIRS
# (llama.cpp with flash attention, both with an f16 KV cache). Prints a
# Markdown table with each pair's ratio, both tools' share of the read
# bandwidth (weights + KV cache read per token / time against attn's probe,
# a dot product over 256 MiB), and the load average at start and end.
#
# Environment: BUILD (attn build dir, default build), WORK (default
# /tmp/attn-vs-llamacpp), ROUNDS (3), THREADS ("1 2"), PP (128), TG (64),
# DEPTH (4096; 0 skips), PAIRS and DEPTH_PAIRS (attn:llama.cpp type pairs),
# ATTN_BEFORE (another attn binary, e.g. a build of main: it runs between
# the two in every round, and the table adds attn's speed-up over it),
# SAME_FILES=1 (attn also reads llama.cpp's GGUF file of each pair, instead of
# the Hugging Face folder: the GGUF issue's side-by-side on the same files).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
llama=${1:-${LLAMA_CPP:-/work/llama.cpp}}
build=${BUILD:-build}
work=${WORK:-/tmp/attn-vs-llamacpp}
rounds=${ROUNDS:-3}
threads=${THREADS:-1 2}
pp=${PP:-128}
tg=${TG:-64}
depth=${DEPTH:-4096}
pairs=${PAIRS:-f32:F32 f16:F16 bf16:F16 int8:Q8_0 q8_0:Q8_0 q4_0:Q4_0 q4_k_m:Q4_K_M}
depth_pairs=${DEPTH_PAIRS:-f32:F32 q8_0:Q8_0 q4_0:Q4_0}
attn="$repo/$build/tools/attn"
thread_list=$(echo "$threads" | tr ' ' ',')

die() { echo "bench_vs_llamacpp.sh: $*" >&2; exit 1; }
[ -x "$attn" ] || die "no attn binary at $attn (build attn first, or set BUILD)"
before=${ATTN_BEFORE:-}
[ -z "$before" ] || [ -x "$before" ] || die "ATTN_BEFORE=$before is not an executable"
if [ ! -f "$llama/CMakeLists.txt" ] || [ ! -d "$llama/tools/llama-bench" ]; then
  die "no llama.cpp source tree at '$llama' (pass its path as the first argument or LLAMA_CPP=DIR)"
fi
[ -d "$llama/gguf-py/gguf" ] || die "'$llama/gguf-py' is missing: the table reads tensor sizes with llama.cpp's gguf-py"

# ------------------------------------------------------------ llama.cpp tools
bin=${LLAMA_CPP_BIN:-$llama/build-attn-bench/bin}
if [ ! -x "$bin/llama-bench" ] || [ ! -x "$bin/llama-quantize" ]; then
  echo "building llama.cpp in $llama/build-attn-bench" >&2
  nice cmake -S "$llama" -B "$llama/build-attn-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DGGML_CPU=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    -DCMAKE_PROJECT_INCLUDE="$repo/scripts/llamacpp_build_fast.cmake" >&2
  targets=(llama-bench llama-quantize llama-simple)
  # llama-gguf (examples/gguf) is only a GGUF dump/check tool; built when the tree has it.
  [ -d "$llama/examples/gguf" ] && targets+=(llama-gguf)
  nice cmake --build "$llama/build-attn-bench" -j2 --target "${targets[@]}" >&2
  bin=$llama/build-attn-bench/bin
fi

# ------------------------------------------------------------------ the model
mkdir -p "$work"
hf=$work/hf-f32
# Context 8192 so that attn accepts -d 4096 (the stories110M preset says 1024).
[ -f "$hf/model.safetensors" ] || /usr/bin/python3 scripts/make_synthetic_llama.py --preset stories110M --seq 8192 \
  -o "$hf" >/dev/null
gguf_dir=$work/gguf
if [ ! -f "$gguf_dir/stories110M-f32/model.gguf" ]; then
  /usr/bin/python3 - "$hf" "$gguf_dir" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "tests/fixtures/gguf")
import hf_to_gguf
hf_to_gguf.convert("stories110M", Path(sys.argv[1]), Path(sys.argv[2]), hf_to_gguf.F32)
PY
fi
gguf() { echo "$gguf_dir/stories110M-$1.gguf"; }
ln -sf "stories110M-f32/model.gguf" "$(gguf F32)"
for pair in $pairs $depth_pairs; do
  type=${pair#*:}
  [ -f "$(gguf "$type")" ] || nice "$bin/llama-quantize" "$(gguf F32)" "$(gguf "$type")" "$type" >/dev/null 2>&1 \
    || die "llama-quantize could not make $type"
done
attn_model() {  # the HF folder and the --dtype for one attn weight type (or the pair's GGUF file)
  if [ "${SAME_FILES:-0}" = 1 ]; then echo "-m $(gguf "$2")"; return; fi
  case "$1" in
    q4_k_m)
      [ -f "$work/hf-q4_k_m/config.json" ] || "$attn" quantize -m "$hf" -o "$work/hf-q4_k_m" --type q4_k_m >/dev/null
      echo "-m $work/hf-q4_k_m" ;;
    f32) echo "-m $hf" ;;
    *) echo "-m $hf --dtype $1" ;;
  esac
}

# A sanity check that llama.cpp reads the converted file: its greedy start next to attn's on the F32 GGUF.
if [ -x "$bin/llama-simple" ]; then
  echo "llama-simple F32: $("$bin/llama-simple" -m "$(gguf F32)" -n 8 "Once upon a time" 2>/dev/null | tail -n 1)" >&2
fi

# ------------------------------------------------------------------ the runs
results=$work/results.jsonl
: >"$results"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
record() {  # tool, attn type, llama.cpp type, round; JSON from stdin -> one tagged line per test
  /usr/bin/python3 -c '
import json, sys
tool, ours, theirs, rnd = sys.argv[1:5]
text = sys.stdin.read()
rows = json.loads(text) if tool == "llama.cpp" else [json.loads(l) for l in text.splitlines() if l.startswith("{")]
for r in rows:
    print(json.dumps({"tool": tool, "pair": ours + ":" + theirs, "round": int(rnd), **r}))' "$@" >>"$results"
}
run_pair() {  # attn type, llama.cpp type, round, llama-bench args, attn bench args
  local ours=$1 theirs=$2 rnd=$3 lb_args=$4 attn_args=$5
  echo "round $rnd: $theirs / $ours ($lb_args)" >&2
  # shellcheck disable=SC2086
  "$bin/llama-bench" -m "$(gguf "$theirs")" -t "$thread_list" -r 1 -fa 1 -o json $lb_args 2>/dev/null \
    | record llama.cpp "$ours" "$theirs" "$rnd"
  if [ -n "$before" ]; then
    # shellcheck disable=SC2086
    "$before" bench $(attn_model "$ours" "$theirs") -t "$thread_list" -r 1 --json $attn_args \
      | record attn-before "$ours" "$theirs" "$rnd"
  fi
  # shellcheck disable=SC2086
  "$attn" bench $(attn_model "$ours" "$theirs") -t "$thread_list" -r 1 --json $attn_args | record attn "$ours" "$theirs" "$rnd"
}
for ((rnd = 1; rnd <= rounds; ++rnd)); do
  for pair in $pairs; do
    run_pair "${pair%%:*}" "${pair#*:}" "$rnd" "-p $pp -n $tg" "-p $pp -n $tg"
  done
  if [ "$depth" -gt 0 ]; then
    for pair in $depth_pairs; do
      run_pair "${pair%%:*}" "${pair#*:}" "$rnd" "-p 0 -n $tg -d $depth -ctk f16 -ctv f16" \
        "-p 0 -n $tg -d $depth -ctk f16 -ctv f16"
    done
  fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
commit=$(cat "$llama/SNAPSHOT_COMMIT" 2>/dev/null | head -n 1 || true)
/usr/bin/python3 scripts/bench_vs_llamacpp_table.py "$results" "$llama/gguf-py" "$gguf_dir" \
  "$cpu; llama.cpp ${commit:0:10} (GGML_NATIVE, CPU); load average at start $load_start, at end $load_end; medians of $rounds interleaved rounds"
