// Llama-family decoder (Llama 1-3, Mistral, Qwen2, Qwen3, Mixtral,
// Qwen3-MoE, llama2.c checkpoints): pre-RMSNorm blocks of grouped-query
// attention with RoPE and a SwiGLU FFN, dense or a sparse mixture of experts.
#include <algorithm>
#include <string>

#include "models/architectures.h"
#include "models/blocks.h"
#include "models/config_reader.h"
#include "models/rope_scaling.h"

namespace attn {
namespace {

struct LlamaShape {
  int hidden, intermediate, layers, heads, kv_heads, head_dim, vocab, context;
  float eps;
  bool interleaved_rope, qkv_bias, qk_norm, tied_embeddings;
  int sliding_window;
  RopeFrequencies rope;
  // Sparse MoE layers (Mixtral, Qwen3-MoE); experts == 0: every layer dense.
  int experts, experts_per_token, expert_intermediate;
  bool normalize_top_k;
  std::vector<int> dense_layers;  // Qwen3-MoE's mlp_only_layers
};

void read_experts(const ConfigReader& config, const std::string& model_type, LlamaShape& s) {
  if (model_type == "mixtral") {
    s.experts = config.require_int("num_local_experts");
    s.expert_intermediate = s.intermediate;
    s.normalize_top_k = true;  // Mixtral always renormalises its top-k weights
  } else if (model_type == "qwen3_moe") {
    s.experts = config.require_int("num_experts");
    s.expert_intermediate = config.require_int("moe_intermediate_size");
    s.normalize_top_k = config.get_bool("norm_topk_prob", false);
    if (config.get_int("decoder_sparse_step", 1) != 1) config.fail("decoder_sparse_step other than 1 is not supported");
    if (config.json().contains("mlp_only_layers")) s.dense_layers = config.json()["mlp_only_layers"].get<std::vector<int>>();
  } else {
    return;
  }
  s.experts_per_token = config.require_int("num_experts_per_tok");
  if (s.experts_per_token > s.experts) config.fail("num_experts_per_tok is larger than the number of experts");
}

LlamaShape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const std::string model_type = config.get_string("model_type", "");
  LlamaShape s{};
  s.hidden = config.require_int("hidden_size");
  s.intermediate = config.require_int("intermediate_size");
  s.layers = config.require_int("num_hidden_layers");
  s.heads = config.require_int("num_attention_heads");
  s.kv_heads = config.get_int("num_key_value_heads", s.heads);
  s.head_dim = config.get_int("head_dim", s.hidden / s.heads);
  s.vocab = config.require_int("vocab_size");
  s.context = config.get_int("max_position_embeddings", 2048);
  s.eps = static_cast<float>(config.get_double("rms_norm_eps", 1e-6));
  s.interleaved_rope = config.get_bool("rope_interleaved", false);
  s.qkv_bias = model_type == "qwen2" || config.get_bool("attention_bias", false);
  s.qk_norm = model_type == "qwen3" || model_type == "qwen3_moe";
  s.tied_embeddings = config.get_bool("tie_word_embeddings", false);
  read_experts(config, model_type, s);

  if (s.heads % s.kv_heads != 0) config.fail("num_attention_heads must be a multiple of num_key_value_heads");
  if (s.head_dim % 2 != 0) config.fail("head_dim must be even for rotary embeddings");
  s.rope = rope_frequencies(config, s.head_dim, config.get_double("rope_theta", 10000.0));
  if (config.get_bool("mlp_bias", false)) config.fail("mlp_bias is not supported yet");
  // Qwen configs carry a window but use it only when use_sliding_window is
  // set (and then only above max_window_layers, which attn does not model).
  if (!config.is_null_or_absent("sliding_window") && config.get_bool("use_sliding_window", true)) {
    s.sliding_window = config.require_int("sliding_window");
    if (config.json().contains("use_sliding_window") && config.get_int("max_window_layers", s.layers) < s.layers) {
      config.fail("use_sliding_window with max_window_layers below num_hidden_layers is not supported");
    }
  }
  return s;
}

bool sparse_layer(const LlamaShape& s, int layer) {
  return s.experts > 0 && std::find(s.dense_layers.begin(), s.dense_layers.end(), layer) == s.dense_layers.end();
}

// Mixtral: block_sparse_moe.{gate, experts.E.{w1,w3,w2}}; Qwen3-MoE:
// mlp.{gate, experts.E.{gate,up,down}_proj}.
SparseFeedForward sparse_ffn(const LlamaShape& s, const Weights& layer) {
  const bool mixtral = layer.has("block_sparse_moe.gate.weight");
  const Weights moe = layer.under(mixtral ? "block_sparse_moe" : "mlp");
  SparseFeedForward ffn{.router = moe.get("gate.weight", {s.experts, s.hidden}),
                        .top_k = s.experts_per_token,
                        .normalize_top_k = s.normalize_top_k};
  const int64_t inner = s.expert_intermediate;
  for (int e = 0; e < s.experts; ++e) {
    const Weights expert = moe.under("experts." + std::to_string(e));
    ffn.experts.push_back({.gate = expert.linear(mixtral ? "w1" : "gate_proj", inner, s.hidden),
                           .up = expert.linear(mixtral ? "w3" : "up_proj", inner, s.hidden),
                           .down = expert.linear(mixtral ? "w2" : "down_proj", s.hidden, inner)});
  }
  return ffn;
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
  attention.rope = s.interleaved_rope ? RopeStyle::Interleaved : RopeStyle::HalfSplit;
  attention.rope_frequencies = s.rope;
  attention.sliding_window = s.sliding_window;

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
                      .q_norm = s.qk_norm ? std::optional(self_attn.rms_norm("q_norm", s.head_dim, s.eps)) : std::nullopt,
                      .k_norm = s.qk_norm ? std::optional(self_attn.rms_norm("k_norm", s.head_dim, s.eps)) : std::nullopt,
                      .config = attention},
        .ffn_norm = layer.rms_norm("post_attention_layernorm", s.hidden, s.eps),
        .ffn = sparse_layer(s, l) ? std::variant<FeedForward, SparseFeedForward>(sparse_ffn(s, layer))
                                  : FeedForward{.gate = mlp.linear("gate_proj", s.intermediate, s.hidden),
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
