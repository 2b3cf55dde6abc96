#!/usr/bin/env bash
# Fails when libattn.so exports anything but the C API (attn_*) and the C++
# API (namespace attn, with its vtables and type_info), or when internal
# names of the library leak into its dynamic symbol table.
#   tests/check_exports.sh path/to/libattn.so.0
set -euo pipefail
library=$1
symbols=$(nm -D --defined-only "$library" | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); sub(/@.*/, ""); print }')
demangled=$(echo "$symbols" | c++filt)
unexpected=$(echo "$demangled" | grep -Ev '^(attn_[a-z0-9_]+|attn::.*|(vtable|typeinfo|typeinfo name) for attn::.*|ATTN_0)$' || true)
if [ -n "$unexpected" ]; then
  echo "check_exports: $library exports symbols outside the API:" >&2
  echo "$unexpected" | head -n 40 >&2
  exit 1
fi
# The C API is there, and internal classes are not.
for needed in attn_model_load attn_generate attn_embed attn_version; do
  echo "$symbols" | grep -qx "$needed" || { echo "check_exports: $needed is not exported" >&2; exit 1; }
done
echo "$demangled" | grep -q '^attn::Model::load(' || { echo "check_exports: attn::Model::load is not exported" >&2; exit 1; }
leaks=$(echo "$demangled" | grep -E '^attn::(capi|Graph|StopStringFilter|WeightStore|Tensor|onnx|protobuf)\b' || true)
if [ -n "$leaks" ]; then
  echo "check_exports: internal symbols exported:" >&2
  echo "$leaks" | head -n 20 >&2
  exit 1
fi
echo "check_exports: $(echo "$symbols" | grep -c '^attn_') C functions, $(echo "$demangled" | grep -c 'attn::') C++ symbols"
