// The blocks Transformer architectures are made of. An architecture file
// reads its config, names the checkpoint tensors of each block and wires
// the blocks; the block code itself lives here, once.
//
// Variations are data, not new code paths: an AttentionConfig per layer
// (heads, RoPE style and theta, causal or not), norms with or
// without bias, q/k/v with or without bias, fused tensors split by rows
// (split_outputs). New variations (per-head q/k norms, Gemma's extra norms,
// MoE FFNs, cross-attention) are new fields or block kinds here, used by the
// architectures that need them.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/graph_builder.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/weight_store.h"

namespace attn {

struct Norm {
  enum class Kind { Rms, Layer } kind = Kind::Rms;
  Tensor weight = {};
  std::optional<Tensor> bias = {};  // LayerNorm
  float eps = 1e-5f;
  float weight_offset = 0;  // RMSNorm: multiply by (weight + offset); Gemma stores w around 0 for (1 + w)
};
ValueId norm(GraphBuilder& g, ValueId x, const Norm& n);
// An RMSNorm over each head of x (its weight is one head wide).
ValueId head_norm(GraphBuilder& g, ValueId x, const Norm& n);

// A checkpoint's tensors under a name prefix ("model.layers.3."), read with
// the shapes the config implies (a mismatch is an attn::Error naming both).
class Weights {
 public:
  explicit Weights(const WeightStore& store, std::string prefix = {}) : store_(store), prefix_(std::move(prefix)) {}
  // The tensors under prefix + name + ".".
  Weights under(const std::string& name) const { return Weights(store_, prefix_ + name + "."); }

  bool has(const std::string& name) const { return store_.contains(prefix_ + name); }
  const Tensor& get(const std::string& name, const Shape& shape) const { return store_.get(prefix_ + name, shape); }
  std::string full_name(const std::string& name) const { return prefix_ + name; }

  // name.weight [out, in], with name.bias [out] when `bias`.
  LinearWeights linear(const std::string& name, int64_t out, int64_t in, bool bias = false) const;
  // GPT-2's Conv1D: name.weight stored [in, out] and name.bias [out], as a
  // Linear (the weight transposed to an f32 copy).
  LinearWeights conv1d(const std::string& name, int64_t in, int64_t out) const;
  // name.weight [width] (RMSNorm), plus name.bias for LayerNorm.
  Norm rms_norm(const std::string& name, int64_t width, float eps, float weight_offset = 0) const;
  Norm layer_norm(const std::string& name, int64_t width, float eps) const;

 private:
  const WeightStore& store_;
  std::string prefix_;
};

// A Linear whose outputs are several projections stored as one tensor
// (GPT-2's c_attn, Phi-3's qkv_proj and gate_up_proj), split into one Linear
// per part of the given widths: row views of the weight, no copies.
std::vector<LinearWeights> split_outputs(const LinearWeights& fused, std::initializer_list<int64_t> widths);

// Self-attention: q/k/v projections, per-head norms of q and k when set
// (Qwen3, Gemma 3; before RoPE), attention (RoPE and its scaling, causal or
// sliding-window masks, GQA, soft-capping and KV cache per `config`),
// output projection.
struct AttentionBlock {
  LinearWeights q = {}, k = {}, v = {}, output = {};
  std::optional<Norm> q_norm = {}, k_norm = {};
  AttentionConfig config = {};
};
ValueId attention(GraphBuilder& g, ValueId x, const AttentionBlock& block);

// The feed-forward network: gated, down(act(gate x) * up x) when `gate` is
// set (SwiGLU with silu, GeGLU with the tanh GELU); else plain, down(act(up x)).
struct FeedForward {
  enum class Plain { Gelu, Silu, Relu };  // Silu: Marian's "swish"; Relu: T5 v1.0
  std::optional<LinearWeights> gate = {};
  LinearWeights up = {}, down = {};
  Plain plain_activation = Plain::Gelu;                  // plain FFNs
  GeluKind activation = GeluKind::Erf;                   // plain FFNs with Plain::Gelu
  GluActivation gated_activation = GluActivation::Silu;  // gated FFNs
};
ValueId feed_forward(GraphBuilder& g, ValueId x, const FeedForward& ffn);

// A sparse mixture of gated experts (Mixtral, Qwen3-MoE): each token runs
// through the top_k experts the router picks (see MixtureOfExpertsOp).
struct SparseFeedForward {
  Tensor router = {};  // [experts, hidden]
  std::vector<ExpertWeights> experts = {};
  int top_k = 1;
  bool normalize_top_k = false;  // renormalise the picked probabilities to sum to 1
  GluActivation activation = GluActivation::Silu;
};
ValueId feed_forward(GraphBuilder& g, ValueId x, const SparseFeedForward& ffn);

// Encoder-decoder attention in a decoder layer: q and output projections
// here; the k/v projections of the encoder output belong to the encoder
// graph (cross_attention_kv), which computes them once per source.
struct CrossAttentionBlock {
  LinearWeights q = {}, output = {};
  CrossAttentionConfig config = {};
};

// One Transformer layer: attention, then (decoders of encoder-decoder
// models) cross-attention, then the FFN (dense or sparse), each in a
// residual. Pre-norm (Llama, GPT-2): x + f(norm(x)); with an output norm
// (Gemma's post_attention/post_feedforward norms): x + out_norm(f(norm(x))).
// Post-norm (BERT, Marian): norm(x + f(x)).
struct TransformerLayer {
  enum class NormPlacement { Pre, Post } placement = NormPlacement::Pre;
  Norm attention_norm = {};
  AttentionBlock attention = {};
  std::optional<Norm> attention_output_norm = {};
  Norm ffn_norm = {};
  std::variant<FeedForward, SparseFeedForward> ffn = FeedForward{};
  std::optional<Norm> ffn_output_norm = {};
  std::optional<CrossAttentionBlock> cross_attention = {};
  Norm cross_attention_norm = {};
};
ValueId transformer_layer(GraphBuilder& g, ValueId x, const TransformerLayer& layer);

// The encoder side of one decoder layer's cross-attention: its k and v
// projections of the encoder output `encoded`, kept for the decoder's `slot`.
void cross_attention_kv(GraphBuilder& g, ValueId encoded, const LinearWeights& k, const LinearWeights& v, int slot,
                        int heads, int head_dim);

// A causal LM's output: the final norm and the LM head, run on the last row
// only unless every row is wanted. No `head`: the LM head is the embedding
// table of `embedding` (tied embeddings), stored as `embedding_name`.
ValueId causal_lm_output(GraphBuilder& g, ValueId x, const Norm& final_norm, const std::optional<LinearWeights>& head,
                         ValueId embedding, const std::string& embedding_name);

}  // namespace attn
