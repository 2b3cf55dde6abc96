// The layers of the encoder-decoders transformers ports from fairseq in
// BART's layout (Marian, M2M-100 / NLLB): q/k/v/out projections with
// biases, LayerNorms named self_attn_layer_norm, encoder_attn_layer_norm and
// final_layer_norm, an fc1 -> activation -> fc2 FFN; post-norm (Marian) or
// pre-norm (M2M-100).
#pragma once

#include "models/blocks.h"

namespace attn {

struct BartLayerShape {
  int d = 0, heads = 0, ffn = 0;
  TransformerLayer::NormPlacement placement = TransformerLayer::NormPlacement::Post;
  FeedForward::Plain activation = FeedForward::Plain::Gelu;
  GeluKind gelu = GeluKind::Erf;  // with Plain::Gelu
  int max_source_length = 0;      // decoder layers: the encoder's positions
};

// "encoder.layers.N" / "decoder.layers.N" of the checkpoint.
TransformerLayer bart_encoder_layer(const Weights& layer, const BartLayerShape& s);
TransformerLayer bart_decoder_layer(const Weights& layer, const BartLayerShape& s);
// The encoder side of decoder layer `slot`'s cross-attention (its encoder_attn k/v).
void bart_cross_attention_kv(GraphBuilder& e, ValueId encoded, const Weights& decoder_layer, int slot,
                             const BartLayerShape& s);

}  // namespace attn
