#!/bin/sh
# Wall time of `attn score` and `attn generate` with the default thread count,
# -t 1 and -t 2, on an idle machine and under background load (LOAD busy
# loops, `yes > /dev/null`, started and stopped here): the median of REPS
# runs, interleaved (every setting once per round), and the load average
# before each phase. Not a test: timings depend on whatever else runs.
# Usage: scripts/bench_threads_under_load.sh MODEL [REPS=3] [LOAD=2]
#   MODEL: a decoder with its tokenizer (e.g. the synthetic stories110M of
#   scripts/make_synthetic_llama.py --preset stories110M -o /tmp/s110m).
#   ATTN=path/to/attn; ENV="NAME=value ..." is set for every run (to compare
#   e.g. GOMP_SPINCOUNT or OMP_WAIT_POLICY settings).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
model=$1 reps=${2:-3} load=${3:-2}
attn=${ATTN:-$here/build/tools/attn}
work=$(mktemp -d)
busy=""
stop_load() { for pid in $busy; do kill "$pid" 2>/dev/null || true; done; busy=""; }
trap 'stop_load; rm -rf "$work"' EXIT INT TERM
for _ in 1 2 3; do cat "$here/tests/fixtures/score/corpus.txt"; done >"$work/lines.txt"

seconds() {  # seconds a command takes, its output discarded
  start=$(date +%s.%N)
  env ${ENV:-} "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }"
}
run() {  # TASK THREADS
  case $1 in
    score) seconds "$attn" score -m "$model" -i "$work/lines.txt" -o "$work/out.jsonl" -t "$2" ;;
    generate) seconds "$attn" generate -m "$model" -p "Once upon a time" -n 48 --temp 0 -t "$2" ;;
  esac
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

echo "attn: $attn; model: $model; ENV: ${ENV:-none}; $(nproc) CPUs"
echo "| background | task | threads | median s | runs (s) |"
echo "| --- | --- | --- | ---: | --- |"
for phase in idle loaded; do
  if [ "$phase" = loaded ]; then
    for _ in $(seq "$load"); do yes >/dev/null & busy="$busy $!"; done
    sleep 2
  fi
  echo "load average before the $phase phase: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for task in score generate; do
    for threads in 0 1 2; do : >"$work/$task.$threads"; done
  done
  for _ in $(seq "$reps"); do
    for task in score generate; do
      for threads in 0 1 2; do echo "$(run "$task" "$threads")" >>"$work/$task.$threads"; done
    done
  done
  label=$([ "$phase" = loaded ] && echo "$load x yes" || echo "none")
  for task in score generate; do
    for threads in 0 1 2; do
      runs=$(tr '\n' ' ' <"$work/$task.$threads")
      name=$([ "$threads" = 0 ] && echo "default" || echo "$threads")
      echo "| $label | $task | $name | $(echo "$runs" | median) | $runs|"
    done
  done
  stop_load
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
