// ONNX models onto the engine's fused graph. The fusion pass recognises a
// decoder's blocks by their anchors — the embedding Gather, the normalisations,
// the projections (MatMuls with weight initializers), the residual Adds, the
// SiLU gate — and emits the native graph with the engine's KV-cache
// attention. What lies between the anchors (reshapes, RoPE arithmetic, masks,
// softmax) is taken to be standard attention; since that cannot be read
// reliably from dynamic shape arithmetic, every fused graph is checked
// against the ONNX graph itself, run op by op, before it is used.
#pragma once

#include <vector>

#include "attn/model.h"
#include "loaders/checkpoint.h"
#include "models/architectures.h"

namespace attn {

// The fused graphs the file may mean (the RoPE layouts), most likely first:
// a post-norm encoder (BERT) or a pre-norm decoder (GPT-2, Llama). Throws
// attn::Error saying which block was not recognised.
std::vector<BuiltModel> fuse_onnx_model(const Checkpoint& checkpoint);

std::vector<BuiltModel> fuse_onnx_decoder(const Checkpoint& checkpoint);
BuiltModel fuse_onnx_encoder(const Checkpoint& checkpoint);
// True when the graph's first output is a LayerNorm (post-norm encoders end in one).
bool is_onnx_encoder(const primitive::GraphIR& graph);

// The whole graph as one op run by the primitive interpreter (OnnxGraphOp),
// for graphs the fusion passes cannot map; shape from config.json.
BuiltModel onnx_op_by_op_model(const Checkpoint& checkpoint);

// Largest difference, relative to the outputs' scale, between `fused` and the
// checkpoint's ONNX graph (its first output: logits or hidden states) run op
// by op, on a few probe tokens.
double fused_logits_difference(const std::shared_ptr<const Model>& fused, const Checkpoint& checkpoint);

// Accepted relative difference: float32 summation order only.
inline constexpr double kFusionTolerance = 1e-4;

}  // namespace attn
