// M2M100ForConditionalGeneration (M2M-100, NLLB-200): the pre-norm
// BART-style layers with a final LayerNorm on each stack, embeddings scaled
// by sqrt(d_model) (scale_embedding), fairseq's sinusoidal positions offset
// past the padding index, and an LM head tied to model.shared. Languages
// are tokens: the source's code before the source text, the target's
// forced as the first generated token (Seq2SeqConfig::Languages).
#include <cmath>
#include <string>

#include "models/activation.h"
#include "models/architectures.h"
#include "models/bart_layers.h"
#include "models/config_reader.h"
#include "models/seq2seq_config.h"

namespace attn {
namespace {

// M2M100SinusoidalPositionalEmbedding.get_embedding: sin over the first half
// of a row, cos over the second, frequencies exp(-i * ln(10000) / (half - 1)).
// Position p of a sequence without padding reads row p + padding_idx + 1.
Tensor fairseq_positions(int positions, int d, int padding_idx) {
  Tensor table = Tensor::zeros(DType::F32, {positions, d});
  float* out = table.mutable_data_as<float>();
  const int half = d / 2;
  const double step = std::log(10000.0) / (half - 1);
  for (int p = 0; p < positions; ++p) {
    const double index = p + padding_idx + 1;
    for (int i = 0; i < half; ++i) {
      const double angle = index * std::exp(-i * step);
      out[static_cast<int64_t>(p) * d + i] = static_cast<float>(std::sin(angle));
      out[static_cast<int64_t>(p) * d + half + i] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

}  // namespace

BuiltModel build_m2m100(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const int d = config.require_int("d_model"), vocab = config.require_int("vocab_size");
  const int positions = config.get_int("max_position_embeddings", 1024);
  const int encoder_layers = config.require_int("encoder_layers"), decoder_layers = config.require_int("decoder_layers");
  const int padding_idx = config.get_int("pad_token_id", 1);
  if (d % 2 != 0 || d < 4) config.fail("d_model must be even and at least 4");
  BartLayerShape encoder_layer{.d = d, .heads = config.require_int("encoder_attention_heads"),
                               .ffn = config.require_int("encoder_ffn_dim"),
                               .placement = TransformerLayer::NormPlacement::Pre, .max_source_length = positions};
  const std::string activation = config.get_string("activation_function", "relu");
  if (activation == "relu") encoder_layer.activation = FeedForward::Plain::Relu;
  else if (activation == "swish" || activation == "silu") encoder_layer.activation = FeedForward::Plain::Silu;
  else encoder_layer.gelu = gelu_kind(config, activation);
  BartLayerShape decoder_layer = encoder_layer;
  decoder_layer.heads = config.require_int("decoder_attention_heads");
  decoder_layer.ffn = config.require_int("decoder_ffn_dim");
  if (d % encoder_layer.heads != 0 || d % decoder_layer.heads != 0) config.fail("d_model must be a multiple of the heads");
  const float embed_scale = config.get_bool("scale_embedding", false) ? std::sqrt(static_cast<float>(d)) : 1.f;

  const Weights w(checkpoint.weights), model = w.under("model");
  const Tensor& shared = model.get("shared.weight", {vocab, d});
  const Tensor table = fairseq_positions(positions, d, padding_idx);

  GraphBuilder e;
  ValueId x = e.position_embedding(e.scale(e.embedding(shared), embed_scale), table);
  for (int l = 0; l < encoder_layers; ++l) {
    x = transformer_layer(e, x, bart_encoder_layer(model.under("encoder.layers." + std::to_string(l)), encoder_layer));
  }
  x = norm(e, x, model.layer_norm("encoder.layer_norm", d, 1e-5f));
  for (int l = 0; l < decoder_layers; ++l) {
    bart_cross_attention_kv(e, x, model.under("decoder.layers." + std::to_string(l)), l, decoder_layer);
  }

  GraphBuilder g;
  const ValueId embedding = g.embedding(shared);
  ValueId y = g.position_embedding(g.scale(embedding, embed_scale), table);
  for (int l = 0; l < decoder_layers; ++l) {
    y = transformer_layer(g, y, bart_decoder_layer(model.under("decoder.layers." + std::to_string(l)), decoder_layer));
  }
  const std::optional<LinearWeights> head =
      w.has("lm_head.weight") ? std::optional(w.linear("lm_head", vocab, d)) : std::nullopt;
  const ValueId logits = causal_lm_output(g, y, model.layer_norm("decoder.layer_norm", d, 1e-5f), head, embedding,
                                          model.full_name("shared.weight"));

  ModelInfo info{.vocab_size = vocab, .hidden_size = d, .num_layers = decoder_layers, .num_heads = decoder_layer.heads,
                 .num_kv_heads = decoder_layer.heads, .context_length = positions};
  info.seq2seq = read_seq2seq_config(config, positions);
  info.seq2seq->languages = Seq2SeqConfig::Languages::SourceCodeAndForcedTarget;
  return {g.finish(logits), std::move(info), e.finish(x)};
}

}  // namespace attn
