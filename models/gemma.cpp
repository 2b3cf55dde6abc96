// Gemma 2 and Gemma 3 (text) decoders: embeddings scaled by sqrt(hidden),
// RMSNorms that multiply by (1 + w), a norm before and after each of
// attention and the GeGLU FFN, query_pre_attn_scalar, sliding-window
// attention on the local layers; Gemma 2 soft-caps attention and final
// logits, Gemma 3 normalises q and k per head and gives local layers their
// own RoPE base.
#include <cmath>
#include <string>

#include "models/architectures.h"
#include "models/blocks.h"
#include "models/config_reader.h"
#include "models/rope_scaling.h"

namespace attn {
namespace {

constexpr float kGemmaNormOffset = 1.f;  // Gemma's RMSNorm: x * (1 + w)

struct GemmaShape {
  int hidden, intermediate, layers, heads, kv_heads, head_dim, vocab, context;
  float eps, embedding_scale, attention_softcap, final_softcap, query_scale, norm_offset;
  bool gemma3;
  int sliding_window;
  std::vector<bool> sliding;  // per layer
  RopeFrequencies global_rope, local_rope;
};

// sqrt(hidden_size) as Hugging Face computes it: a tensor of the model's
// dtype, so bf16/f16 checkpoints scale by the rounded value.
float embedding_scale(const ConfigReader& config, int hidden) {
  const float exact = std::sqrt(static_cast<float>(hidden));
  const std::string dtype = config.get_string("torch_dtype", "float32");
  if (dtype == "bfloat16") return bf16_to_f32(f32_to_bf16(exact));
  if (dtype == "float16") return f16_to_f32(f32_to_f16(exact));
  return exact;
}

std::vector<bool> sliding_layers(const ConfigReader& config, int layers, bool gemma3) {
  std::vector<bool> sliding(layers);
  const auto& json = config.json();
  if (json.contains("layer_types") && !json["layer_types"].is_null()) {
    const auto& types = json["layer_types"];
    if (!types.is_array() || static_cast<int>(types.size()) != layers) {
      config.fail("layer_types must list one type per layer (num_hidden_layers)");
    }
    for (int l = 0; l < layers; ++l) {
      const std::string type = types[l].is_string() ? types[l].get<std::string>() : "";
      if (type != "sliding_attention" && type != "full_attention") {
        config.fail("layer_types[" + std::to_string(l) + "] '" + type +
                    "' is not supported; expected sliding_attention or full_attention");
      }
      sliding[l] = type == "sliding_attention";
    }
    return sliding;
  }
  // Older configs: every pattern-th layer is global (Gemma 2: every second).
  const int pattern = gemma3 ? config.get_int("sliding_window_pattern", 6) : 2;
  for (int l = 0; l < layers; ++l) sliding[l] = (l + 1) % pattern != 0;
  return sliding;
}

GemmaShape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  GemmaShape s{};
  s.gemma3 = config.get_string("model_type", "") == "gemma3_text";
  s.hidden = config.require_int("hidden_size");
  s.intermediate = config.require_int("intermediate_size");
  s.layers = config.require_int("num_hidden_layers");
  s.heads = config.require_int("num_attention_heads");
  s.kv_heads = config.get_int("num_key_value_heads", s.heads);
  s.head_dim = config.get_int("head_dim", s.hidden / s.heads);
  s.vocab = config.require_int("vocab_size");
  s.context = config.get_int("max_position_embeddings", 8192);
  s.eps = static_cast<float>(config.get_double("rms_norm_eps", 1e-6));
  // attn's own key: GGUF files store the norm weights with the 1 added.
  s.norm_offset = static_cast<float>(config.get_double("norm_weight_offset", kGemmaNormOffset));
  s.embedding_scale = embedding_scale(config, s.hidden);
  s.query_scale = static_cast<float>(1.0 / std::sqrt(config.get_double("query_pre_attn_scalar", s.head_dim)));
  s.attention_softcap = static_cast<float>(config.get_double("attn_logit_softcapping", 0.0));
  s.final_softcap = static_cast<float>(config.get_double("final_logit_softcapping", 0.0));
  s.sliding_window = config.is_null_or_absent("sliding_window") ? 0 : config.require_int("sliding_window");
  s.sliding = sliding_layers(config, s.layers, s.gemma3);

  if (s.heads % s.kv_heads != 0) config.fail("num_attention_heads must be a multiple of num_key_value_heads");
  const std::string activation = config.get_string("hidden_activation", config.get_string("hidden_act", "gelu_pytorch_tanh"));
  if (activation != "gelu_pytorch_tanh") config.fail("hidden_activation '" + activation + "' is not supported; expected gelu_pytorch_tanh");
  if (config.get_bool("attention_bias", false)) config.fail("attention_bias is not supported for Gemma");
  const double theta = config.get_double("rope_theta", 10000.0);
  s.global_rope = rope_frequencies(config, s.head_dim, theta);
  // Gemma 3's local layers: their own base, never scaled.
  s.local_rope = s.gemma3 ? rope_frequencies(config, s.head_dim, config.get_double("rope_local_base_freq", 10000.0), false)
                          : s.global_rope;
  return s;
}

}  // namespace

BuiltModel build_gemma(const Checkpoint& checkpoint) {
  const GemmaShape s = read_shape(checkpoint);
  const Weights w(checkpoint.weights);
  const int64_t q_width = int64_t{s.heads} * s.head_dim;
  const int64_t kv_width = int64_t{s.kv_heads} * s.head_dim;
  GraphBuilder g;
  const std::string embedding_name = "model.embed_tokens.weight";
  const ValueId embedding = g.embedding(w.get(embedding_name, {s.vocab, s.hidden}));
  ValueId x = g.scale(embedding, s.embedding_scale);
  const auto rms = [&](const Weights& weights, const std::string& name, int64_t width) {
    return weights.rms_norm(name, width, s.eps, s.norm_offset);
  };

  for (int l = 0; l < s.layers; ++l) {
    const Weights layer = w.under("model.layers." + std::to_string(l));
    const Weights self_attn = layer.under("self_attn"), mlp = layer.under("mlp");
    AttentionConfig attention;
    attention.num_heads = s.heads;
    attention.num_kv_heads = s.kv_heads;
    attention.head_dim = s.head_dim;
    attention.rope = RopeStyle::HalfSplit;
    attention.rope_frequencies = s.sliding[l] ? s.local_rope : s.global_rope;
    attention.scale = s.query_scale;
    attention.logit_softcap = s.attention_softcap;
    attention.sliding_window = s.sliding[l] ? s.sliding_window : 0;

    x = transformer_layer(g, x, {
        .attention_norm = rms(layer, "input_layernorm", s.hidden),
        .attention = {.q = self_attn.linear("q_proj", q_width, s.hidden),
                      .k = self_attn.linear("k_proj", kv_width, s.hidden),
                      .v = self_attn.linear("v_proj", kv_width, s.hidden),
                      .output = self_attn.linear("o_proj", s.hidden, q_width),
                      .q_norm = s.gemma3 ? std::optional(rms(self_attn, "q_norm", s.head_dim)) : std::nullopt,
                      .k_norm = s.gemma3 ? std::optional(rms(self_attn, "k_norm", s.head_dim)) : std::nullopt,
                      .config = attention},
        .attention_output_norm = rms(layer, "post_attention_layernorm", s.hidden),
        .ffn_norm = rms(layer, "pre_feedforward_layernorm", s.hidden),
        .ffn = FeedForward{.gate = mlp.linear("gate_proj", s.intermediate, s.hidden),
                           .up = mlp.linear("up_proj", s.intermediate, s.hidden),
                           .down = mlp.linear("down_proj", s.hidden, s.intermediate),
                           .gated_activation = GluActivation::GeluTanh},
        .ffn_output_norm = rms(layer, "post_feedforward_layernorm", s.hidden),
    });
  }

  // Gemma ties its LM head to the embeddings (unscaled).
  ValueId logits = causal_lm_output(g, x, rms(w, "model.norm", s.hidden), std::nullopt, embedding, embedding_name);
  if (s.final_softcap > 0) logits = g.soft_cap(logits, s.final_softcap);
  return {g.finish(logits), {.vocab_size = s.vocab, .hidden_size = s.hidden, .num_layers = s.layers,
                             .num_heads = s.heads, .num_kv_heads = s.kv_heads, .context_length = s.context}};
}

}  // namespace attn
