// What a loaded Model holds. Shared by the model loader (models/), which
// fills it, and the Session (engine/), which runs it.
#pragma once

#include <memory>

#include "attn/embed.h"
#include "attn/model.h"
#include "engine/graph.h"

namespace attn {

struct Model::Impl {
  ModelInfo info;
  Graph graph;  // ops own their weights (views into mapped files or converted copies)
  std::shared_ptr<const Tokenizer> tokenizer;
  EmbeddingConfig embedding;  // encoders: what the directory's sentence-transformers modules ask for
};

}  // namespace attn
