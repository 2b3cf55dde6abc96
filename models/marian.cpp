// MarianMTModel (OPUS-MT): a post-norm encoder-decoder Transformer. Token
// embeddings (model.shared, also the tied LM head) scaled by sqrt(d_model)
// plus sinusoidal positions (computed, not stored: transformers does not save
// them), q/k/v/out projections with biases, a swish FFN, and logits + final_logits_bias.
// The encoder graph ends in every decoder layer's cross-attention keys and
// values of the source; the decoder graph is the model's graph.
#include <cmath>
#include <string>

#include "models/architectures.h"
#include "models/activation.h"
#include "models/bart_layers.h"
#include "models/blocks.h"
#include "models/config_reader.h"
#include "models/seq2seq_config.h"

namespace attn {
namespace {

struct MarianShape {
  int d, vocab, positions, encoder_layers, decoder_layers, encoder_heads, decoder_heads, encoder_ffn, decoder_ffn;
  float embed_scale;
  bool silu;
  GeluKind gelu;
};

MarianShape read_shape(const ConfigReader& config) {
  MarianShape s{};
  s.d = config.require_int("d_model");
  s.vocab = config.require_int("vocab_size");
  s.positions = config.get_int("max_position_embeddings", 1024);
  s.encoder_layers = config.require_int("encoder_layers");
  s.decoder_layers = config.require_int("decoder_layers");
  s.encoder_heads = config.require_int("encoder_attention_heads");
  s.decoder_heads = config.require_int("decoder_attention_heads");
  s.encoder_ffn = config.require_int("encoder_ffn_dim");
  s.decoder_ffn = config.require_int("decoder_ffn_dim");
  s.embed_scale = config.get_bool("scale_embedding", false) ? std::sqrt(static_cast<float>(s.d)) : 1.f;
  const std::string activation = config.get_string("activation_function", "gelu");
  s.silu = activation == "swish" || activation == "silu";
  if (!s.silu) s.gelu = gelu_kind(config, activation);
  if (s.d % s.encoder_heads != 0 || s.d % s.decoder_heads != 0) config.fail("d_model must be a multiple of the heads");
  if (config.get_bool("normalize_before", false)) config.fail("normalize_before (pre-norm Marian) is not supported");
  if (!config.get_bool("share_encoder_decoder_embeddings", true)) {
    config.fail("separate encoder and decoder vocabularies (share_encoder_decoder_embeddings: false) are not supported");
  }
  if (config.json().contains("decoder_vocab_size") && config.json()["decoder_vocab_size"] != config.json()["vocab_size"]) {
    config.fail("decoder_vocab_size must equal vocab_size");
  }
  return s;
}

// MarianSinusoidalPositionalEmbedding: sin(p / 10000^(2i/d)) in the first
// half of each row, cos in the second (not interleaved).
Tensor sinusoidal_positions(int positions, int d) {
  Tensor table = Tensor::zeros(DType::F32, {positions, d});
  float* out = table.mutable_data_as<float>();
  const int half = (d + 1) / 2;
  for (int p = 0; p < positions; ++p) {
    for (int j = 0; j < d; ++j) {
      const int pair = j / 2 * 2;  // both members of a pair share a frequency
      const double angle = p / std::pow(10000.0, static_cast<double>(pair) / d);
      if (j % 2 == 0) out[p * d + j / 2] = static_cast<float>(std::sin(angle));
      else out[p * d + half + j / 2] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

BartLayerShape layer_shape(const MarianShape& s, int heads, int ffn) {
  return {.d = s.d, .heads = heads, .ffn = ffn, .placement = TransformerLayer::NormPlacement::Post,
          .activation = s.silu ? FeedForward::Plain::Silu : FeedForward::Plain::Gelu, .gelu = s.gelu,
          .max_source_length = s.positions};
}

}  // namespace

BuiltModel build_marian(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const MarianShape s = read_shape(config);
  const Weights w(checkpoint.weights), model = w.under("model");
  const Tensor& shared = model.get("shared.weight", {s.vocab, s.d});
  const Tensor positions = sinusoidal_positions(s.positions, s.d);
  const BartLayerShape encoder_layer = layer_shape(s, s.encoder_heads, s.encoder_ffn);
  const BartLayerShape decoder_layer = layer_shape(s, s.decoder_heads, s.decoder_ffn);

  GraphBuilder e;
  ValueId x = e.position_embedding(e.scale(e.embedding(shared), s.embed_scale), positions);
  for (int l = 0; l < s.encoder_layers; ++l) {
    x = transformer_layer(e, x, bart_encoder_layer(model.under("encoder.layers." + std::to_string(l)), encoder_layer));
  }
  for (int l = 0; l < s.decoder_layers; ++l) {
    bart_cross_attention_kv(e, x, model.under("decoder.layers." + std::to_string(l)), l, decoder_layer);
  }

  GraphBuilder g;
  const ValueId embedding = g.embedding(shared);
  ValueId y = g.position_embedding(g.scale(embedding, s.embed_scale), positions);
  for (int l = 0; l < s.decoder_layers; ++l) {
    y = transformer_layer(g, y, bart_decoder_layer(model.under("decoder.layers." + std::to_string(l)), decoder_layer));
  }
  const Tensor& bias = w.get("final_logits_bias", {1, s.vocab});
  const ValueId last = g.last_row(y);
  const ValueId logits = w.has("lm_head.weight")
      ? g.linear(last, LinearWeights{w.get("lm_head.weight", {s.vocab, s.d}), bias, "lm_head.weight", true})
      : g.tied_linear(last, embedding, model.full_name("shared.weight"), bias);

  ModelInfo info{.vocab_size = s.vocab, .hidden_size = s.d, .num_layers = s.decoder_layers,
                 .num_heads = s.decoder_heads, .num_kv_heads = s.decoder_heads, .context_length = s.positions};
  info.seq2seq = read_seq2seq_config(config, s.positions);
  return {g.finish(logits), std::move(info), e.finish(x)};
}

}  // namespace attn
