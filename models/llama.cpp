// Llama-family decoder (Llama 1-3, Mistral, Qwen2, llama2.c checkpoints):
// pre-RMSNorm blocks of grouped-query attention with RoPE and a SwiGLU FFN.
#include <string>

#include "models/architectures.h"
#include "models/blocks.h"
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
  const bool is_qwen2 = config.get_string("model_type", "") == "qwen2";
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
  const Weights w(checkpoint.weights);
  const int64_t q_width = int64_t{s.heads} * s.head_dim;
  const int64_t kv_width = int64_t{s.kv_heads} * s.head_dim;

  GraphBuilder g;
  const std::string embedding_name = "model.embed_tokens.weight";
  const ValueId embedding = g.embedding(w.get(embedding_name, {s.vocab, s.hidden}));

  AttentionConfig attention;
  attention.num_heads = s.heads;
  attention.num_kv_heads = s.kv_heads;
  attention.head_dim = s.head_dim;
  attention.max_positions = s.context;
  attention.rope = s.interleaved_rope ? RopeStyle::Interleaved : RopeStyle::HalfSplit;
  attention.rope_theta = s.rope_theta;

  ValueId x = embedding;
  for (int l = 0; l < s.layers; ++l) {
    const Weights layer = w.under("model.layers." + std::to_string(l));
    const Weights self_attn = layer.under("self_attn"), mlp = layer.under("mlp");
    x = transformer_layer(g, x, {
        .attention_norm = layer.rms_norm("input_layernorm", s.hidden, s.eps),
        .attention = {.q = self_attn.linear("q_proj", q_width, s.hidden, s.qkv_bias),
                      .k = self_attn.linear("k_proj", kv_width, s.hidden, s.qkv_bias),
                      .v = self_attn.linear("v_proj", kv_width, s.hidden, s.qkv_bias),
                      .output = self_attn.linear("o_proj", s.hidden, q_width),
                      .config = attention},
        .ffn_norm = layer.rms_norm("post_attention_layernorm", s.hidden, s.eps),
        .ffn = {.gate = mlp.linear("gate_proj", s.intermediate, s.hidden),
                .up = mlp.linear("up_proj", s.intermediate, s.hidden),
                .down = mlp.linear("down_proj", s.hidden, s.intermediate)},
    });
  }

  const bool tied = s.tied_embeddings && !w.has("lm_head.weight");
  const auto head = tied ? std::nullopt : std::optional(w.linear("lm_head", s.vocab, s.hidden));
  const ValueId logits =
      causal_lm_output(g, x, w.rms_norm("model.norm", s.hidden, s.eps), head, embedding, embedding_name);
  return {g.finish(logits), {.vocab_size = s.vocab, .hidden_size = s.hidden, .num_layers = s.layers,
                             .num_heads = s.heads, .num_kv_heads = s.kv_heads, .context_length = s.context}};
}

}  // namespace attn
