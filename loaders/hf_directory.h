// Loader for Hugging Face model directories: config.json (plus
// generation_config.json when present), safetensors weights as one
// model.safetensors or shards listed in model.safetensors.index.json, and the
// tokenizer files. It does not check the architecture: model builders do.
#pragma once

#include <filesystem>

#include "loaders/checkpoint.h"

namespace attn {

// Fills path, format ("huggingface"), config, weights, and the tokenizer
// (the directory itself when it holds tokenizer.json or tokenizer.model).
// Throws attn::Error naming the file and the problem.
Checkpoint load_hf_directory(const std::filesystem::path& dir);

// config.json of `dir`, with generation_config.json merged under "generation".
nlohmann::json read_hf_config(const std::filesystem::path& dir);

}  // namespace attn
