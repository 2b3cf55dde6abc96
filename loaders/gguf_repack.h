// GGUF block types attn's kernels have no kernel of their own for, but
// whose values Q8_0 holds exactly: repacked once at load, as llama.cpp's
// CPU backend repacks blocks into the layout its kernels want.
// - Q5_0 (ggml's block_q5_0: f16 d, 32 high bits, 16 bytes of low nibbles;
//   weight = d * (q - 16) with 5-bit q): q - 16 is in [-16, 15], so the
//   Q8_0 block with the same d and codes q - 16 has the same weights.
// - IQ4_NL (block_iq4_nl: f16 d, 16 bytes of 4-bit indices into ggml's
//   non-linear table kvalues_iq4nl; weight = d * kvalues[index]): the
//   table's entries are int8, so the Q8_0 block with the same d and codes
//   kvalues[index] has the same weights.
// Either way the Q8_0 kernel then computes exactly ggml's own dot product
// of these types with q8_0 activations.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/quant_blocks.h"
#include "loaders/gguf_file.h"

namespace attn {

// The type a GGUF tensor of `type` is repacked into, or nullopt when it is not one of these.
std::optional<DType> repacked_type(GgmlType type);

// `blocks` blocks of `type` (a repacked_type) at `data` into `out`.
void repack_blocks(GgmlType type, const std::byte* data, BlockQ8_0* out, int64_t blocks);

}  // namespace attn
