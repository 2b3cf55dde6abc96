// Llama-family decoder (Llama 1-3, Mistral, Qwen2, Qwen3, Mixtral,
// Qwen3-MoE, llama2.c checkpoints): pre-RMSNorm blocks of grouped-query
// attention with RoPE and a SwiGLU FFN, dense or a sparse mixture of experts.
#include <algorithm>
#include <string>

#include "engine/graph_builder.h"
#include "models/architectures.h"
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
  const std::string model_type = config.json().value("model_type", "");
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
  attention.rope_frequencies = s.rope;
  attention.sliding_window = s.sliding_window;

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
    ValueId q = g.linear(h, *wq, bq), k = g.linear(h, *wk, bk);
    if (s.qk_norm) {  // Qwen3: RMSNorm over each head of q and k, before RoPE
      q = g.head_rms_norm(q, w.get(p + "self_attn.q_norm.weight", {s.head_dim}), s.eps);
      k = g.head_rms_norm(k, w.get(p + "self_attn.k_norm.weight", {s.head_dim}), s.eps);
    }
    const ValueId attended = g.attention(q, k, g.linear(h, *wv, bv), attention);
    x = g.add(x, g.linear(attended, w.get(p + "self_attn.o_proj.weight", {s.hidden, q_width})));

    const ValueId h2 = g.rms_norm(x, w.get(p + "post_attention_layernorm.weight", {s.hidden}), s.eps);
    const bool sparse = s.experts > 0 && std::find(s.dense_layers.begin(), s.dense_layers.end(), l) == s.dense_layers.end();
    if (sparse) {
      const bool mixtral = w.contains(p + "block_sparse_moe.gate.weight");
      const std::string moe = p + (mixtral ? "block_sparse_moe." : "mlp.");
      std::vector<Expert> experts;
      for (int e = 0; e < s.experts; ++e) {
        const std::string q = moe + "experts." + std::to_string(e) + ".";
        const int64_t inner = s.expert_intermediate;
        experts.push_back({LinearOp(w.get(q + (mixtral ? "w1" : "gate_proj") + ".weight", {inner, s.hidden}), {}),
                           LinearOp(w.get(q + (mixtral ? "w3" : "up_proj") + ".weight", {inner, s.hidden}), {}),
                           LinearOp(w.get(q + (mixtral ? "w2" : "down_proj") + ".weight", {s.hidden, inner}), {})});
      }
      x = g.add(x, g.mixture_of_experts(h2, w.get(moe + "gate.weight", {s.experts, s.hidden}), std::move(experts),
                                        s.experts_per_token, s.normalize_top_k));
    } else {
      const ValueId gate = g.linear(h2, w.get(p + "mlp.gate_proj.weight", {s.intermediate, s.hidden}));
      const ValueId up = g.linear(h2, w.get(p + "mlp.up_proj.weight", {s.intermediate, s.hidden}));
      x = g.add(x, g.linear(g.swiglu(gate, up), w.get(p + "mlp.down_proj.weight", {s.hidden, s.intermediate})));
    }
  }

  // Norm and LM head run on the last row only, unless every row is wanted.
  const ValueId final_hidden = g.rms_norm(g.last_row(x), w.get("model.norm.weight", {s.hidden}), s.eps);
  const bool use_embedding = s.tied_embeddings && !w.contains("lm_head.weight");
  const Tensor& lm_head = use_embedding ? embed : w.get("lm_head.weight", {s.vocab, s.hidden});
  const ValueId logits = g.linear(final_hidden, lm_head);

  return BuiltModel{g.finish(logits), s.vocab, s.hidden, s.layers, s.heads, s.kv_heads, s.context};
}

}  // namespace attn
