// The ONNX recognisers: they read an imported graph's architecture from its
// anchors — the embedding Gather, the normalisations, the projections
// (MatMuls by weight initializers), the residual Adds, the activation — and
// hand over what a safetensors checkpoint would hold: the weights under
// Hugging Face tensor names and the config keys the graph determines
// (widths, layer count, norm epsilon, RoPE layout, biases). The same
// models/<arch> builder then builds the model, with the rest of the config
// (head counts, rope_theta, rope_scaling, sliding_window, ...) from the
// config.json beside the file, so an ONNX export and a safetensors
// directory of one model get one treatment.
//
// What lies between the anchors (reshapes, RoPE arithmetic, masks, softmax)
// is taken to be the standard attention of that architecture. That cannot be
// proven from dynamic shape arithmetic, so tests (and ATTN_ONNX_VERIFY=1 at
// load) compare the built model with the graph run op by op on the
// interpreter; graphs no recogniser maps run on the interpreter.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/interpreter/graph_ir.h"
#include "engine/weight_store.h"

namespace attn {

struct RecognisedModel {
  nlohmann::json config;  // Hugging Face config keys, to merge over config.json
  WeightStore weights;    // under Hugging Face names
};

// Llama/Mistral/Qwen2-shaped decoders (RMSNorm, RoPE, grouped-query
// attention, SwiGLU), GPT-2-shaped decoders (learned positions, LayerNorm,
// fused q/k/v, GELU; optimum's merged If decoders too) and BERT-shaped
// encoders. `config` is config.json (head counts). Throws attn::Error
// naming `where` and the block that was not recognised.
RecognisedModel recognise_onnx_model(const interpreter::GraphIR& graph, const nlohmann::json& config,
                                     const std::string& where);

RecognisedModel recognise_decoder(const interpreter::GraphIR& graph, const nlohmann::json& config,
                                  const std::string& where);
RecognisedModel recognise_encoder(const interpreter::GraphIR& graph, const nlohmann::json& config,
                                  const std::string& where);
// True when the graph's first output is a LayerNorm (post-norm encoders end in one).
bool is_encoder_graph(const interpreter::GraphIR& graph);

}  // namespace attn
