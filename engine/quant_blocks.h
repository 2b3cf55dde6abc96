// ggml's quantised block formats, byte for byte, and its reference
// (de)quantisers for them: the weights `attn quantize --type q4_0` writes
// and a GGUF file's Q4_0 tensors are the same bytes.
#pragma once

#include <cstdint>

namespace attn {

inline constexpr int64_t kQ4_0BlockElements = 32;

// ggml's block_q4_0: weight j of the block is ((qs[j % 16] >> (4 * (j / 16))) & 15) - 8, times d.
struct BlockQ4_0 {
  uint16_t d;      // f16 scale
  uint8_t qs[16];  // low nibbles: weights 0-15, high nibbles: weights 16-31
};
static_assert(sizeof(BlockQ4_0) == 18, "ggml's block_q4_0 is 18 bytes");

// ggml's quantize_row_q4_0_ref: per block, d = m / -8 where m is the value of
// largest magnitude (the first one on ties), q = min(15, trunc(x / d + 8.5)).
// `k` is a multiple of 32.
void quantize_q4_0(const float* x, BlockQ4_0* blocks, int64_t k);
// ggml's dequantize_row_q4_0.
void dequantize_q4_0(const BlockQ4_0* blocks, float* out, int64_t k);

}  // namespace attn
