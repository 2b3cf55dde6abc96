// How attn stores Q4_0 weights in safetensors, which has no 4-bit type: a
// weight X of shape [rows, in] is a U8 tensor X of shape [rows, in / 32 * 18]
// holding ggml's block_q4_0 bytes row by row (the bytes a GGUF Q4_0 tensor
// holds). config.json names the scheme in a "quantization" entry
// (q4_0_quantization_entry()); with it, every U8 tensor is such blocks.
#pragma once

#include <nlohmann/json.hpp>

#include "loaders/checkpoint.h"

namespace attn {

nlohmann::json q4_0_quantization_entry();
// Whether config.json names this scheme (whose LM head is attn-int8).
bool has_q4_0_entry(const Checkpoint& checkpoint);

// Reads the checkpoint's U8 tensors as Q4_0 weights when config.json has the
// entry. Throws attn::Error when U8 tensors come without it, or when one is
// not 2-D with a whole number of 18-byte blocks per row.
void read_q4_0_blocks(Checkpoint& checkpoint);

// A Q4_0 weight as it is written: its bytes as a U8 tensor.
Tensor q4_0_as_bytes(const Tensor& weight);

}  // namespace attn
