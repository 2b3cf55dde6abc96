// sentence-transformers directories: modules.json lists the pipeline
// (Transformer -> Pooling -> Normalize), 1_Pooling/config.json the pooling
// mode, sentence_bert_config.json the maximum length. attn runs that
// pipeline (the embed task); any other module is an error at load, since
// skipping it would silently change the embeddings.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "attn/embed.h"

namespace attn {

// The settings `dir` gives, as ModelInfo::metadata under the keys of
// attn/embed.h; none when it has no
// sentence-transformers files. Throws attn::Error naming the file for
// unsupported modules or modes.
std::map<std::string, std::string> read_sentence_transformers(const std::filesystem::path& dir);

}  // namespace attn
