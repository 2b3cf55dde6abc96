// Loader for Karpathy's llama2.c `.bin` checkpoints (the legacy "version 0"
// format run.c reads): seven int32 header fields, then every weight as f32 in
// a fixed order. The weights are exposed under Hugging Face Llama names as
// zero-copy views, and the header is translated into an HF-style config.
#pragma once

#include <filesystem>

#include "loaders/checkpoint.h"

namespace attn {

// Fills path, format ("llama2.c"), config, weights, and the tokenizer when a
// `tokenizer.model` sits beside the file. Throws attn::Error on a malformed
// header or a file whose size does not match it.
Checkpoint load_llama2c(const std::filesystem::path& path);

}  // namespace attn
