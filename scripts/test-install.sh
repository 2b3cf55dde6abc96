#!/usr/bin/env bash
# Installs attn from a build tree into a fresh prefix and uses it as an
# application would: builds examples/ with CMake's find_package(attn) and the
# C example with a plain `cc $(pkg-config --cflags --libs attn)`, runs them on
# the fixtures, and pip-installs the Python package into a virtual
# environment that imports it. CI calls this; ctest runs it as test_install.
#
#   scripts/test-install.sh [BUILD_DIR]    (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shared=$root/../shared
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "test-install: $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libattn.so.0' | head -n1)")
test -x "$prefix/bin/attn" || { echo "test-install: no bin/attn installed" >&2; exit 1; }

step "examples with find_package(attn)"
cmake -S "$root/examples" -B "$work/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/examples" >/dev/null

step "the C example with cc and pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
cc -std=c99 -Wall -Wextra -Werror -pedantic -o "$work/stream_generate_cc" "$root/examples/stream_generate.c" \
  $(pkg-config --cflags --libs attn) -pthread

step "running them on the fixtures"
export LD_LIBRARY_PATH="$libdir"  # the system library path of a real install
# The Stop thread aborts once 12 tokens have streamed; a few more may come
# before it runs, but not the whole context.
for program in "$work/examples/stream_generate" "$work/stream_generate_cc"; do
  out=$("$program" "$shared/models/stories260K-hf" "Once upon a time" 12)
  kept=$(echo "$out" | tail -n 1 | sed -nE 's/^\[aborted after ([0-9]+) tokens\]$/\1/p')
  if [ -z "$kept" ] || [ "$kept" -lt 12 ] || [ "$kept" -ge 500 ]; then
    echo "test-install: $program was not aborted after 12 tokens:"$'\n'"$out" >&2
    exit 1
  fi
done
out=$(printf 'The cat sat on the mat.\nA cat was sitting on a mat.\nStock prices fell sharply.\n' |
  "$work/examples/embed_sentences" "$root/tests/fixtures/family/bert")
echo "$out" | head -n 1 | grep -q '^3 sentences, ' ||
  { echo "test-install: embed_sentences printed:"$'\n'"$out" >&2; exit 1; }

step "pip install ./python into a virtual environment"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$root/python" >/dev/null
text=$(cd "$work" && "$work/venv/bin/python" -c '
import sys, attn
model = attn.Model(sys.argv[1])
print("".join(model.generate("Once upon a time", max_tokens=8)))' "$shared/models/stories260K-hf")
test -n "$text" || { echo "test-install: the installed Python package generated nothing" >&2; exit 1; }
step "ok"
