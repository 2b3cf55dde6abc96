// How attn stores weights in ggml's block types (Q4_0, Q8_0, Q4_K, Q6_K) in
// safetensors, which has no such types: a weight X of shape [rows, in] is a
// U8 tensor X of shape [rows, in / B * S] holding the type's blocks row by
// row (the bytes a GGUF tensor of that type holds), B and S the type's
// values and bytes per block. config.json's "quantization" entry
// (block_quantization_entry) names every U8 tensor's type.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "loaders/checkpoint.h"

namespace attn {

// The entry for a checkpoint whose block-type weights are `types` (by name).
nlohmann::json block_quantization_entry(const std::map<std::string, DType>& types);
// Whether config.json names this scheme.
bool has_block_entry(const Checkpoint& checkpoint);

// Reads the checkpoint's U8 tensors as the block weights the entry names.
// Throws attn::Error when U8 tensors come without the entry, when the entry
// does not name a U8 tensor's type (or names an unknown one), or when a
// tensor is not 2-D with a whole number of blocks per row.
void read_block_tensors(Checkpoint& checkpoint);

// A block-type weight as it is written: its bytes as a U8 tensor.
Tensor blocks_as_bytes(const Tensor& weight);

}  // namespace attn
