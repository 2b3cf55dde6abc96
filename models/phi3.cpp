// Phi-3 / Phi-3.5 / Phi-4-mini (Phi3ForCausalLM): a Llama-shaped decoder
// whose q/k/v and gate/up projections are stored fused (qkv_proj,
// gate_up_proj): each runs as one Linear on the stored tensor, its output
// split by columns (the weights are read once, never copied);
// LongRoPE and partial rotary embeddings come from the config.
#include <string>

#include "engine/graph_builder.h"
#include "models/architectures.h"
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
  attention.max_positions = context;
  attention.rope = RopeStyle::HalfSplit;
  attention.rope_frequencies = rope_frequencies(config, head_dim, config.get_double("rope_theta", 10000.0));
  attention.sliding_window = config.is_null_or_absent("sliding_window") ? 0 : config.require_int("sliding_window");

  const WeightStore& w = checkpoint.weights;
  GraphBuilder g;
  const Tensor& embed = w.get("model.embed_tokens.weight", {vocab, hidden});
  ValueId x = g.embedding(embed);
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const Tensor& qkv = w.get(p + "self_attn.qkv_proj.weight", {q_width + 2 * kv_width, hidden});
    const Tensor& gate_up = w.get(p + "mlp.gate_up_proj.weight", {2 * int64_t{intermediate}, hidden});

    const ValueId h = g.rms_norm(x, w.get(p + "input_layernorm.weight", {hidden}), eps);
    const ValueId fused_qkv = g.linear(h, qkv);
    const ValueId q = g.columns(fused_qkv, 0, q_width);
    const ValueId k = g.columns(fused_qkv, q_width, kv_width);
    const ValueId v = g.columns(fused_qkv, q_width + kv_width, kv_width);
    x = g.add(x, g.linear(g.attention(q, k, v, attention), w.get(p + "self_attn.o_proj.weight", {hidden, q_width})));

    const ValueId h2 = g.rms_norm(x, w.get(p + "post_attention_layernorm.weight", {hidden}), eps);
    const ValueId fused_gate_up = g.linear(h2, gate_up);
    const ValueId gate = g.columns(fused_gate_up, 0, intermediate);  // gate first, then up
    const ValueId up = g.columns(fused_gate_up, intermediate, intermediate);
    x = g.add(x, g.linear(g.swiglu(gate, up), w.get(p + "mlp.down_proj.weight", {hidden, intermediate})));
  }
  const ValueId final_hidden = g.rms_norm(g.last_row(x), w.get("model.norm.weight", {hidden}), eps);
  const bool tied = config.get_bool("tie_word_embeddings", false) && !w.contains("lm_head.weight");
  const ValueId logits = g.linear(final_hidden, tied ? embed : w.get("lm_head.weight", {vocab, hidden}));
  return BuiltModel{g.finish(logits), vocab, hidden, layers, heads, kv_heads, context};
}

}  // namespace attn
