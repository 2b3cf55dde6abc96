// Sentence embeddings from encoder models (BERT and sentence-transformers
// directories): tokenize, run many sentences per forward pass packed without
// padding, pool each sentence's token states, optionally L2-normalise.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"

namespace attn {

// sentence-transformers' pooling modes (1_Pooling/config.json).
enum class Pooling { Mean, Cls, Max, Last };

// "mean", "cls", "max", "last"; nullopt for anything else.
std::optional<Pooling> parse_pooling(std::string_view name);
std::string_view pooling_name(Pooling pooling);

// What a model directory asks for: modules.json's Pooling and Normalize
// modules; plain encoders (no modules.json) get mean pooling, unnormalised.
struct EmbeddingConfig {
  Pooling pooling = Pooling::Mean;
  bool normalize = false;
};
const EmbeddingConfig& embedding_config(const Model& model);

struct EmbedOptions {
  std::optional<Pooling> pooling;  // default: embedding_config(model)
  std::optional<bool> normalize;   // default: embedding_config(model)
  int batch_size = 32;             // sentences per forward pass
};

// One vector of hidden_size floats per text, in input order. The session's
// model must be an encoder. Throws attn::Error for invalid UTF-8 or a text
// longer than the model's context.
std::vector<std::vector<float>> embed(Session& session, std::span<const std::string> texts,
                                      const EmbedOptions& options = {});

}  // namespace attn
