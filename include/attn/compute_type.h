// What the GEMMs of prefill, scoring and embedding run in
// (LoadOptions::compute_type, `--compute-type`), as OpenVINO's
// INFERENCE_PRECISION_HINT or CTranslate2's compute_type.
#pragma once

#include "attn/export.h"

#include <optional>
#include <string_view>

namespace attn ATTN_API {

// F32: exact to f32 rounding (the default; logits within 1e-4 of float64
// references). BF16: Linears of F32, F16 and BF16 weights run oneDNN
// bf16 x bf16 -> f32 matmuls over several rows (activations rounded to bf16,
// products summed in f32): 2.3x the prefill tokens/s of f16 and bf16
// weights on Zen 4 (1.25x for f32 ones, docs/BENCHMARKS.md);
// logits move by up to ~1 % of their range. Decoding one row per sequence
// keeps the exact GEMVs.
enum class ComputeType { F32, BF16 };

std::string_view compute_type_name(ComputeType type);                // "f32", "bf16"
std::optional<ComputeType> parse_compute_type(std::string_view name);  // nullopt for anything else

}  // namespace attn
