// Converting weight matrices between storage types, for `--dtype` at load
// and `attn quantize`. Int8 is per-output-channel (per-row) symmetric: row r
// stores round(w / s_r) in [-127, 127] with s_r = max|w[r, :]| / 127, so
// |w - q * s_r| <= s_r / 2.
#pragma once

#include "engine/graph.h"
#include "engine/tensor.h"

namespace attn {

// `weight` ([rows, ...], any float dtype or int8 with scales) in `target`
// (F32, F16, BF16 or I8); `weight` itself when already in it.
Tensor convert_weight(const Tensor& weight, DType target);

// The --dtype pass over a built graph: every Linear op's weight (slices and
// transposed copies included) in `target`; biases stay f32. A tied LM head's
// embedding table is converted with it (Graph::tie), so both read one copy.
void convert_linear_weights(Graph& graph, DType target);

}  // namespace attn
