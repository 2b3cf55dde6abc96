// T5ForConditionalGeneration (T5 v1.0, v1.1, Flan-T5): a pre-norm
// encoder-decoder with T5's LayerNorm (an RMSNorm without bias), no
// position embeddings but a relative position bias learned by each stack's
// first layer and added to every layer's scores (bidirectional in the
// encoder, looking back in the decoder), unscaled attention without biases,
// and a ReLU (v1.0) or gated-GELU (v1.1) FFN. Both stacks end in a final
// norm; tied embeddings scale the decoder's output by d_model^-0.5 before
// the LM head.
#include <cmath>
#include <memory>
#include <string>

#include "models/activation.h"
#include "models/architectures.h"
#include "models/blocks.h"
#include "models/config_reader.h"
#include "models/seq2seq_config.h"

namespace attn {
namespace {

struct T5Shape {
  int d, inner, head_dim, heads, ffn, vocab, encoder_layers, decoder_layers, buckets, max_distance, positions;
  float eps;
  bool tied;
  std::optional<GluActivation> gated;  // none: ReLU
};

T5Shape read_shape(const ConfigReader& config) {
  T5Shape s{};
  s.d = config.require_int("d_model");
  s.head_dim = config.require_int("d_kv");
  s.heads = config.require_int("num_heads");
  s.inner = s.heads * s.head_dim;
  s.ffn = config.require_int("d_ff");
  s.vocab = config.require_int("vocab_size");
  s.encoder_layers = config.require_int("num_layers");
  s.decoder_layers = config.get_int("num_decoder_layers", s.encoder_layers);
  s.buckets = config.get_int("relative_attention_num_buckets", 32);
  s.max_distance = config.get_int("relative_attention_max_distance", 128);
  // T5 has no position limit; n_positions (512 in T5's configs) bounds the source.
  s.positions = config.get_int("n_positions", 512);
  s.eps = static_cast<float>(config.get_double("layer_norm_epsilon", 1e-6));
  s.tied = config.get_bool("tie_word_embeddings", true);
  // transformers' T5Config: "{gated-}ACT", with gated-gelu meaning gelu_new.
  const std::string proj = config.get_string("feed_forward_proj", "relu");
  if (proj == "gated-gelu") s.gated = GluActivation::GeluTanh;
  else if (proj == "gated-silu") s.gated = GluActivation::Silu;
  else if (proj != "relu") config.fail("feed_forward_proj '" + proj + "' is not supported; supported: relu, gated-gelu, gated-silu");
  if (s.buckets < 4) config.fail("relative_attention_num_buckets must be at least 4");
  return s;
}

FeedForward ffn(const Weights& layer, const T5Shape& s) {
  const Weights dense = layer.under("DenseReluDense");
  if (!s.gated) {
    return {.up = dense.linear("wi", s.ffn, s.d), .down = dense.linear("wo", s.d, s.ffn),
            .plain_activation = FeedForward::Plain::Relu};
  }
  return {.gate = dense.linear("wi_0", s.ffn, s.d), .up = dense.linear("wi_1", s.ffn, s.d),
          .down = dense.linear("wo", s.d, s.ffn), .gated_activation = *s.gated};
}

AttentionBlock self_attention(const Weights& attention, const T5Shape& s, const AttentionConfig& config) {
  return {.q = attention.linear("q", s.inner, s.d), .k = attention.linear("k", s.inner, s.d),
          .v = attention.linear("v", s.inner, s.d), .output = attention.linear("o", s.d, s.inner), .config = config};
}

// A stack's attention: unscaled, with the bias table of its first layer.
AttentionConfig stack_attention(const Weights& stack, const T5Shape& s, bool causal) {
  const Tensor& table = stack.get("block.0.layer.0.SelfAttention.relative_attention_bias.weight", {s.buckets, s.heads});
  return {.num_heads = s.heads, .num_kv_heads = s.heads, .head_dim = s.head_dim, .scale = 1.f,
          .relative_bias = std::make_shared<const RelativePositionBias>(table, s.max_distance, !causal),
          .causal = causal};
}

}  // namespace

BuiltModel build_t5(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const T5Shape s = read_shape(config);
  const Weights w(checkpoint.weights), encoder = w.under("encoder"), decoder = w.under("decoder");
  const Tensor& shared = w.get("shared.weight", {s.vocab, s.d});

  GraphBuilder e;
  ValueId x = e.embedding(shared);
  const AttentionConfig encoder_attention = stack_attention(encoder, s, false);
  for (int l = 0; l < s.encoder_layers; ++l) {
    const Weights layer = encoder.under("block." + std::to_string(l)).under("layer");
    x = transformer_layer(e, x, {
        .attention_norm = layer.rms_norm("0.layer_norm", s.d, s.eps),
        .attention = self_attention(layer.under("0.SelfAttention"), s, encoder_attention),
        .ffn_norm = layer.rms_norm("1.layer_norm", s.d, s.eps),
        .ffn = ffn(layer.under("1"), s),
    });
  }
  x = norm(e, x, encoder.rms_norm("final_layer_norm", s.d, s.eps));
  for (int l = 0; l < s.decoder_layers; ++l) {
    const Weights cross = decoder.under("block." + std::to_string(l) + ".layer.1.EncDecAttention");
    cross_attention_kv(e, x, cross.linear("k", s.inner, s.d), cross.linear("v", s.inner, s.d), l, s.heads, s.head_dim);
  }

  GraphBuilder g;
  const ValueId embedding = g.embedding(shared);
  ValueId y = embedding;
  const AttentionConfig decoder_attention = stack_attention(decoder, s, true);
  for (int l = 0; l < s.decoder_layers; ++l) {
    const Weights layer = decoder.under("block." + std::to_string(l)).under("layer");
    const Weights cross = layer.under("1.EncDecAttention");
    y = transformer_layer(g, y, {
        .attention_norm = layer.rms_norm("0.layer_norm", s.d, s.eps),
        .attention = self_attention(layer.under("0.SelfAttention"), s, decoder_attention),
        .ffn_norm = layer.rms_norm("2.layer_norm", s.d, s.eps),
        .ffn = ffn(layer.under("2"), s),
        .cross_attention = CrossAttentionBlock{.q = cross.linear("q", s.inner, s.d),
                                               .output = cross.linear("o", s.d, s.inner),
                                               .config = {.num_heads = s.heads, .head_dim = s.head_dim,
                                                          .max_source_length = s.positions, .scale = 1.f}},
        .cross_attention_norm = layer.rms_norm("1.layer_norm", s.d, s.eps),
    });
  }
  const ValueId hidden = norm(g, g.last_row(y), decoder.rms_norm("final_layer_norm", s.d, s.eps));
  const ValueId logits = s.tied
      ? g.tied_linear(g.scale(hidden, 1.f / std::sqrt(static_cast<float>(s.d))), embedding, "shared.weight")
      : g.linear(hidden, w.linear("lm_head", s.vocab, s.d));

  ModelInfo info{.vocab_size = s.vocab, .hidden_size = s.d, .num_layers = s.decoder_layers, .num_heads = s.heads,
                 .num_kv_heads = s.heads, .context_length = s.positions};
  info.seq2seq = read_seq2seq_config(config, s.positions);
  return {g.finish(logits), std::move(info), e.finish(x)};
}

}  // namespace attn
