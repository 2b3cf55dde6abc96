// The builder API model definitions use: one call per fused op, returning
// the value it produces. Building does no work; running the graph does.
#pragma once

#include <optional>

#include "engine/graph.h"
#include "engine/ops/attention.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/cross_attention.h"
#include "engine/ops/gelu.h"
#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/tensor.h"

namespace attn {

class GraphBuilder {
 public:
  // The token embedding of the step's ids: the graph's input.
  ValueId embedding(const Tensor& table);
  // weight_offset: Gemma's norms multiply by (1 + weight).
  ValueId rms_norm(ValueId x, const Tensor& weight, float eps, float weight_offset = 0);
  // RMSNorm over each head_dim-wide head of x (q_norm/k_norm); weight [head_dim].
  ValueId head_rms_norm(ValueId x, const Tensor& weight, float eps, float weight_offset = 0);
  ValueId layer_norm(ValueId x, const Tensor& weight, const Tensor& bias, float eps);
  // x + table[position of each row]
  ValueId position_embedding(ValueId x, const Tensor& table);
  ValueId gelu(ValueId x, GeluKind kind);
  ValueId linear(ValueId x, LinearWeights weights);
  // A weight without a checkpoint name (tests, imported graphs).
  ValueId linear(ValueId x, const Tensor& weight, const Tensor* bias = nullptr);
  // An LM head reading the table of `embedding` (an embedding() value):
  // tied embeddings, stored once as `source`.
  ValueId tied_linear(ValueId x, ValueId embedding, std::string source, std::optional<Tensor> bias = std::nullopt);
  // `config.cache_slot` is assigned here, one per attention layer.
  ValueId attention(ValueId q, ValueId k, ValueId v, AttentionConfig config);
  ValueId swiglu(ValueId gate, ValueId up) { return glu(gate, up, GluActivation::Silu); }
  ValueId glu(ValueId gate, ValueId up, GluActivation activation);
  ValueId scale(ValueId x, float factor);
  ValueId soft_cap(ValueId x, float cap);
  // A sparse mixture-of-experts FFN on x (see MixtureOfExpertsOp).
  ValueId mixture_of_experts(ValueId x, const Tensor& router, const std::vector<ExpertWeights>& experts, int top_k,
                             bool normalize_top_k, GluActivation activation);
  // Decoder side of encoder-decoder attention over the session's encoded
  // source; `config.cache_slot` is assigned here, one per such layer.
  ValueId cross_attention(ValueId q, CrossAttentionConfig config);
  // Encoder side: marks k and v (projections of the encoder output) as the
  // keys and values of the decoder's cross-attention layer `slot`.
  void cross_attention_source(ValueId k, ValueId v, int slot, int heads, int head_dim);
  ValueId silu(ValueId x);
  ValueId relu(ValueId x);
  ValueId add(ValueId a, ValueId b);
  ValueId last_row(ValueId x);
  // x + table[token type of each row]
  ValueId token_type_embedding(ValueId x, const Tensor& table);
  // One row per sequence: its first or last token's.
  ValueId first_row(ValueId x);
  ValueId sequence_last_row(ValueId x);
  ValueId tanh(ValueId x);
  void add_head(std::string name, ValueId value) { graph_.add_head(std::move(name), value); }

  Graph finish(ValueId output);

 private:
  int64_t width(ValueId value) const;
  void require_width(ValueId value, int64_t expected, const char* what) const;

  Graph graph_;
  int attention_layers_ = 0;
  int cross_attention_layers_ = 0;
};

}  // namespace attn
