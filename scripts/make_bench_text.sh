#!/usr/bin/env bash
# Writes 10 MiB of English prose to $1 for the tokenizer benchmark: the
# license texts and notices under /usr/share/doc (present on every Debian
# machine), each distinct valid-UTF-8 file once, in a fixed order, repeated
# from the start when they run out.
set -euo pipefail
out=${1:?usage: make_bench_text.sh OUTPUT}
limit=$((10 * 1024 * 1024))
unique=$(mktemp)
trap 'rm -f "$unique"' EXIT
find /usr/share/doc /usr/share/common-licenses -type f \( -name copyright -o -path '*/common-licenses/*' \) -print0 |
  sort -z | xargs -0 md5sum | sort -k1,1 -u | sort -k2 | cut -d' ' -f3- |
  while IFS= read -r file; do
    iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1 || continue
    cat "$file"
    printf '\n\n'
  done >"$unique"
: >"$out"
while [ "$(stat -c %s "$out")" -lt "$limit" ]; do cat "$unique" >>"$out"; done
truncate -s "$limit" "$out"
# The cut may split a character: drop the partial tail.
iconv -c -f UTF-8 -t UTF-8 "$out" >"$unique" && cp "$unique" "$out"
