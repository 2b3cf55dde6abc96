// Sentence embeddings from encoder models (BERT and sentence-transformers
// directories): tokenize, run many sentences per forward pass packed without
// padding, pool each sentence's token states, optionally L2-normalise.
#pragma once

#include "attn/export.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

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
  int max_length = 0;  // sentence_bert_config.json max_seq_length; 0: the model's context
};
// Read from the model's ModelInfo::metadata, which the loader fills from
// the directory's sentence-transformers files under these keys.
EmbeddingConfig embedding_config(const Model& model);
inline constexpr const char* kPoolingKey = "sentence_transformers.pooling";          // mean, cls, max or last
inline constexpr const char* kNormalizeKey = "sentence_transformers.normalize";      // "true" when L2-normalised
inline constexpr const char* kMaxSeqLengthKey = "sentence_transformers.max_seq_length";  // tokens

struct EmbedOptions {
  std::optional<Pooling> pooling;  // default: embedding_config(model)
  std::optional<bool> normalize;   // default: embedding_config(model)
  int batch_size = 32;             // sentences per forward pass
  // As sentence-transformers: texts longer than the maximum length
  // (embedding_config's, else the context) are cut to it; false: an error.
  bool truncate = true;
};

struct Embedding {
  std::vector<float> vector;  // hidden_size floats
  bool truncated = false;     // the text was cut to the maximum length
};

// One embedding per text, in input order. The session's model must be an
// encoder. Throws attn::Error naming the text for invalid UTF-8, no tokens,
// or (without truncate) a text longer than the maximum length.
std::vector<Embedding> embed(Session& session, std::span<const std::string> texts, const EmbedOptions& options = {});

}  // namespace attn
