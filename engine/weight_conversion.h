// Converting weight matrices between storage types, for `--dtype` at load
// and `attn quantize`. Int8 is per-output-channel (per-row) symmetric: row r
// stores round(w / s_r) in [-127, 127] with s_r = max|w[r, :]| / 127, so
// |w - q * s_r| <= s_r / 2. Q4_0 is ggml's: blocks of 32 along each row,
// one f16 scale each (engine/quant_blocks.h).
#pragma once

#include "engine/graph.h"
#include "engine/tensor.h"

namespace attn {

// `weight` ([rows, ...], any float dtype or int8 with scales) in `target`
// (F32, F16, BF16, I8 or Q4_0); `weight` itself when already in it.
// Requires can_convert(weight, target).
Tensor convert_weight(const Tensor& weight, DType target);
// Whether `weight`'s rows fit `target`'s blocks (Q4_0: a multiple of 32 wide).
bool can_convert(const Tensor& weight, DType target);

// The --dtype pass over a built graph: every Linear op's weight (slices,
// transposed copies and a mixture's experts included) in `target`; biases
// and a mixture's router stay f32. Weights whose rows do not fit the
// target's blocks (Q4_0 needs a multiple of 32 inputs; stories260K's
// 172-wide down projection) keep their type, as llama.cpp keeps such tensors
// out of the block type. Under Q4_0 the head computing the graph's output
// (an LM head) is converted to I8 instead. A tied LM head's embedding table
// is converted with it (Graph::tie), so both read one copy.
void convert_linear_weights(Graph& graph, DType target);

}  // namespace attn
