// Phi-3 / Phi-3.5 / Phi-4-mini (Phi3ForCausalLM): a Llama-shaped decoder
// whose q/k/v and gate/up projections are stored fused (qkv_proj,
// gate_up_proj): split_outputs reads each part as row views of the stored
// tensor (no copies); LongRoPE and partial rotary embeddings come from the
// config.
#include <string>

#include "models/architectures.h"
#include "models/blocks.h"
#include "models/config_reader.h"
#include "models/rope_scaling.h"

namespace attn {

BuiltModel build_phi3(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const int hidden = config.require_int("hidden_size");
  const int intermediate = config.require_int("intermediate_size");
  const int layers = config.require_int("num_hidden_layers");
  const int heads = config.require_int("num_attention_heads");
  const int kv_heads = config.get_int("num_key_value_heads", heads);
  const int head_dim = config.get_int("head_dim", hidden / heads);
  const int vocab = config.require_int("vocab_size");
  const int context = config.get_int("max_position_embeddings", 4096);
  const float eps = static_cast<float>(config.get_double("rms_norm_eps", 1e-5));
  if (heads % kv_heads != 0) config.fail("num_attention_heads must be a multiple of num_key_value_heads");
  if (config.get_bool("attention_bias", false)) config.fail("attention_bias is not supported for Phi-3");
  const int64_t q_width = int64_t{heads} * head_dim, kv_width = int64_t{kv_heads} * head_dim;

  AttentionConfig attention;
  attention.num_heads = heads;
  attention.num_kv_heads = kv_heads;
  attention.head_dim = head_dim;
  attention.rope = RopeStyle::HalfSplit;
  attention.rope_frequencies = rope_frequencies(config, head_dim, config.get_double("rope_theta", 10000.0));
  attention.sliding_window = config.is_null_or_absent("sliding_window") ? 0 : config.require_int("sliding_window");

  const Weights w(checkpoint.weights);
  GraphBuilder g;
  const std::string embedding_name = "model.embed_tokens.weight";
  const ValueId embedding = g.embedding(w.get(embedding_name, {vocab, hidden}));
  ValueId x = embedding;
  for (int l = 0; l < layers; ++l) {
    const Weights layer = w.under("model.layers." + std::to_string(l));
    const Weights self_attn = layer.under("self_attn"), mlp = layer.under("mlp");
    const auto qkv = split_outputs(self_attn.linear("qkv_proj", q_width + 2 * kv_width, hidden),
                                   {q_width, kv_width, kv_width});
    const auto gate_up = split_outputs(mlp.linear("gate_up_proj", 2 * int64_t{intermediate}, hidden),
                                       {intermediate, intermediate});  // gate first, then up
    x = transformer_layer(g, x, {
        .attention_norm = layer.rms_norm("input_layernorm", hidden, eps),
        .attention = {.q = qkv[0], .k = qkv[1], .v = qkv[2],
                      .output = self_attn.linear("o_proj", hidden, q_width),
                      .config = attention},
        .ffn_norm = layer.rms_norm("post_attention_layernorm", hidden, eps),
        .ffn = FeedForward{.gate = gate_up[0], .up = gate_up[1],
                           .down = mlp.linear("down_proj", hidden, intermediate)},
    });
  }
  const bool tied = config.get_bool("tie_word_embeddings", false) && !w.has("lm_head.weight");
  const auto head = tied ? std::nullopt : std::optional(w.linear("lm_head", vocab, hidden));
  const ValueId logits = causal_lm_output(g, x, w.rms_norm("model.norm", hidden, eps), head, embedding, embedding_name);
  return {g.finish(logits), {.vocab_size = vocab, .hidden_size = hidden, .num_layers = layers, .num_heads = heads,
                             .num_kv_heads = kv_heads, .context_length = context}};
}

}  // namespace attn
