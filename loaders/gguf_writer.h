// Writer for GGUF files (version 3, little-endian; ggml's docs/gguf.md),
// the inverse of read_gguf: `attn quantize` writes llama.cpp's format with it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tensor.h"

namespace attn {

// Metadata values take the GGUF type their JSON kind implies: strings,
// bools, non-negative integers as uint32 (negative ones as int32; beyond
// 32 bits as 64), numbers with a fraction as float32, and arrays of one
// kind of those (integer arrays as int32, as llama.cpp's token types).
using GgufMetadata = std::vector<std::pair<std::string, nlohmann::json>>;

// Tensors under their GGUF names, row-major as attn holds them (stored as
// ggml's reversed ne): F32, F16, BF16 and the block types, whose ggml type
// is their DType - 1000. Throws attn::Error for a type GGUF lacks (int8
// with row scales), a value JSON cannot type, or a file that cannot be written.
void write_gguf(const std::filesystem::path& path, const GgufMetadata& metadata,
                const std::vector<std::pair<std::string, Tensor>>& tensors);

}  // namespace attn
