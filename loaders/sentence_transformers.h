// sentence-transformers directories: modules.json lists the pipeline
// (Transformer -> Pooling -> Normalize), 1_Pooling/config.json the pooling
// mode. attn runs that pipeline; any other module is an error, since
// skipping it would silently change the embeddings.
#pragma once

#include <filesystem>

#include "attn/embed.h"

namespace attn {

// The embedding settings of `dir`; defaults when it has no modules.json.
// Throws attn::Error naming the file for unsupported modules or modes.
EmbeddingConfig read_sentence_transformers(const std::filesystem::path& dir);

}  // namespace attn
