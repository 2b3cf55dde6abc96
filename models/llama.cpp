// Llama-family decoder (Llama 1-3, Mistral, Qwen2, llama2.c checkpoints):
// pre-RMSNorm blocks of grouped-query attention with RoPE and a SwiGLU FFN.
#include <string>

#include "engine/graph_builder.h"
#include "models/architectures.h"
#include "models/config_reader.h"

namespace attn {
namespace {

struct LlamaShape {
  int hidden, intermediate, layers, heads, kv_heads, head_dim, vocab, context;
  double rope_theta;
  float eps;
  bool interleaved_rope, qkv_bias, tied_embeddings;
};

LlamaShape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  LlamaShape s{};
  s.hidden = config.require_int("hidden_size");
  s.intermediate = config.require_int("intermediate_size");
  s.layers = config.require_int("num_hidden_layers");
  s.heads = config.require_int("num_attention_heads");
  s.kv_heads = config.get_int("num_key_value_heads", s.heads);
  s.head_dim = config.get_int("head_dim", s.hidden / s.heads);
  s.vocab = config.require_int("vocab_size");
  s.context = config.get_int("max_position_embeddings", 2048);
  s.rope_theta = config.get_double("rope_theta", 10000.0);
  s.eps = static_cast<float>(config.get_double("rms_norm_eps", 1e-6));
  s.interleaved_rope = config.get_bool("rope_interleaved", false);
  const bool is_qwen2 = config.json().value("model_type", "") == "qwen2";
  s.qkv_bias = is_qwen2 || config.get_bool("attention_bias", false);
  s.tied_embeddings = config.get_bool("tie_word_embeddings", false);

  if (s.heads % s.kv_heads != 0) config.fail("num_attention_heads must be a multiple of num_key_value_heads");
  if (s.head_dim % 2 != 0) config.fail("head_dim must be even for rotary embeddings");
  if (!config.is_null_or_absent("rope_scaling")) {
    config.fail("rope_scaling " + config.json()["rope_scaling"].dump() + " is not supported yet");
  }
  if (config.get_bool("mlp_bias", false)) config.fail("mlp_bias is not supported yet");
  // Mistral's sliding window equals full attention for sequences that fit
  // in it, so limiting the context keeps results exact. Qwen2 configs carry
  // a window but only use it when use_sliding_window is set.
  const int window = config.get_bool("use_sliding_window", true) ? config.get_int("sliding_window", 0) : 0;
  if (window > 0 && window < s.context) s.context = window;
  return s;
}

}  // namespace

BuiltModel build_llama(const Checkpoint& checkpoint) {
  const LlamaShape s = read_shape(checkpoint);
  const WeightStore& w = checkpoint.weights;
  const int64_t q_width = int64_t{s.heads} * s.head_dim;
  const int64_t kv_width = int64_t{s.kv_heads} * s.head_dim;

  GraphBuilder g;
  const Tensor& embed = w.get("model.embed_tokens.weight", {s.vocab, s.hidden});
  ValueId x = g.embedding(embed);

  AttentionConfig attention;
  attention.num_heads = s.heads;
  attention.num_kv_heads = s.kv_heads;
  attention.head_dim = s.head_dim;
  attention.max_positions = s.context;
  attention.rope = s.interleaved_rope ? RopeStyle::Interleaved : RopeStyle::HalfSplit;
  attention.rope_theta = s.rope_theta;

  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    auto projection = [&](const std::string& name, int64_t out, int64_t in, bool bias) {
      const Tensor* b = bias ? &w.get(p + name + ".bias", {out}) : nullptr;
      return std::make_pair(&w.get(p + name + ".weight", {out, in}), b);
    };
    const ValueId h = g.rms_norm(x, w.get(p + "input_layernorm.weight", {s.hidden}), s.eps);
    const auto [wq, bq] = projection("self_attn.q_proj", q_width, s.hidden, s.qkv_bias);
    const auto [wk, bk] = projection("self_attn.k_proj", kv_width, s.hidden, s.qkv_bias);
    const auto [wv, bv] = projection("self_attn.v_proj", kv_width, s.hidden, s.qkv_bias);
    const ValueId attended = g.attention(g.linear(h, *wq, bq), g.linear(h, *wk, bk), g.linear(h, *wv, bv), attention);
    x = g.add(x, g.linear(attended, w.get(p + "self_attn.o_proj.weight", {s.hidden, q_width})));

    const ValueId h2 = g.rms_norm(x, w.get(p + "post_attention_layernorm.weight", {s.hidden}), s.eps);
    const ValueId gate = g.linear(h2, w.get(p + "mlp.gate_proj.weight", {s.intermediate, s.hidden}));
    const ValueId up = g.linear(h2, w.get(p + "mlp.up_proj.weight", {s.intermediate, s.hidden}));
    x = g.add(x, g.linear(g.swiglu(gate, up), w.get(p + "mlp.down_proj.weight", {s.hidden, s.intermediate})));
  }

  // Norm and LM head run on the last row only, unless every row is wanted.
  const ValueId final_hidden = g.rms_norm(g.last_row(x), w.get("model.norm.weight", {s.hidden}), s.eps);
  const bool use_embedding = s.tied_embeddings && !w.contains("lm_head.weight");
  const Tensor& lm_head = use_embedding ? embed : w.get("lm_head.weight", {s.vocab, s.hidden});
  const ValueId logits = g.linear(final_hidden, lm_head);

  return BuiltModel{g.finish(logits), s.vocab, s.hidden, s.layers, s.heads, s.kv_heads, s.context};
}

}  // namespace attn
