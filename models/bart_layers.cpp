#include "models/bart_layers.h"

namespace attn {
namespace {

LinearWeights projection(const Weights& w, const std::string& name, int d) { return w.linear(name, d, d, true); }

constexpr float kEps = 1e-5f;  // nn.LayerNorm's default; these configs have no key for it

TransformerLayer layer_base(const Weights& layer, const BartLayerShape& s, bool causal) {
  const Weights self = layer.under("self_attn");
  return {
      .placement = s.placement,
      .attention_norm = layer.layer_norm("self_attn_layer_norm", s.d, kEps),
      .attention = {.q = projection(self, "q_proj", s.d), .k = projection(self, "k_proj", s.d),
                    .v = projection(self, "v_proj", s.d), .output = projection(self, "out_proj", s.d),
                    .config = {.num_heads = s.heads, .num_kv_heads = s.heads, .head_dim = s.d / s.heads,
                               .causal = causal}},
      .ffn_norm = layer.layer_norm("final_layer_norm", s.d, kEps),
      .ffn = FeedForward{.up = layer.linear("fc1", s.ffn, s.d, true), .down = layer.linear("fc2", s.d, s.ffn, true),
                         .plain_activation = s.activation, .activation = s.gelu},
  };
}

}  // namespace

TransformerLayer bart_encoder_layer(const Weights& layer, const BartLayerShape& s) { return layer_base(layer, s, false); }

TransformerLayer bart_decoder_layer(const Weights& layer, const BartLayerShape& s) {
  TransformerLayer t = layer_base(layer, s, true);
  const Weights cross = layer.under("encoder_attn");
  t.cross_attention = CrossAttentionBlock{.q = projection(cross, "q_proj", s.d),
                                          .output = projection(cross, "out_proj", s.d),
                                          .config = {.num_heads = s.heads, .head_dim = s.d / s.heads,
                                                     .max_source_length = s.max_source_length}};
  t.cross_attention_norm = layer.layer_norm("encoder_attn_layer_norm", s.d, kEps);
  return t;
}

void bart_cross_attention_kv(GraphBuilder& e, ValueId encoded, const Weights& decoder_layer, int slot,
                             const BartLayerShape& s) {
  const Weights cross = decoder_layer.under("encoder_attn");
  cross_attention_kv(e, encoded, projection(cross, "k_proj", s.d), projection(cross, "v_proj", s.d), slot, s.heads,
                     s.d / s.heads);
}

}  // namespace attn
