// Converting weight matrices between storage types, for `--dtype` at load
// and `attn quantize`. Int8 is per-output-channel (per-row) symmetric: row r
// stores round(w / s_r) in [-127, 127] with s_r = max|w[r, :]| / 127, so
// |w - q * s_r| <= s_r / 2. The block types are ggml's, quantised by its
// reference quantisers (engine/quant_blocks.h).
#pragma once

#include <functional>

#include "engine/graph.h"
#include "engine/ops/linear.h"
#include "engine/tensor.h"

namespace attn {

// `weight` ([rows, ...], any float dtype or int8 with scales) in `target`
// (F32, F16, BF16, I8 or a block type); `weight` itself when already in it.
// Requires can_convert(weight, target).
Tensor convert_weight(const Tensor& weight, DType target);
// Whether `weight`'s rows fit `target`'s blocks (a multiple of 32 or 256 wide).
bool can_convert(const Tensor& weight, DType target);

// The --dtype pass over a built graph: every Linear op's weight (slices,
// transposed copies and a mixture's experts included) in `target`; biases
// and a mixture's router stay f32. Under a block type, the types follow
// llama.cpp's llama_tensor_get_type: the head computing the graph's output
// (the LM head) is Q6_K (Q8_0 under Q8_0); rows that do not fit the type's
// blocks fall back as llama.cpp's do (Q4_K -> Q4_0 where llama.cpp has
// Q5_0, Q6_K -> Q8_0), or keep their type when nothing fits (stories260K's
// 172-wide down projections). `q4_k_m` (with Q4_K): llama.cpp's Q4_K_M
// mix, Q6_K for the value and down projections of the layers its
// use_more_bits picks. A tied LM head's embedding table is converted with
// it (Graph::tie), so both read one copy.
void convert_linear_weights(Graph& graph, DType target, bool q4_k_m = false);

// ComputeType::BF16: every Linear with F32, F16 or BF16 weights (experts
// included) gets its bf16 copy for matmuls (LinearWeights::bf16_matmul_weight;
// BF16 weights are their own, F32 and F16 ones take 2 bytes a weight more).
// Run after convert_linear_weights, which would leave the copies stale.
void add_bf16_matmul_weights(Graph& graph);

// Each Linear's weights (a mixture's experts' included) through `rewrite`,
// told whether the Linear computes the graph's output; the Linear is rebuilt
// from them, and a tied embedding table follows its head's new weight.
void rewrite_linear_weights(Graph& graph, const std::function<void(LinearWeights&, bool is_output)>& rewrite);

}  // namespace attn
