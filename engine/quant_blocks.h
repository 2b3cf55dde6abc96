// ggml's quantised block formats, byte for byte, and its reference
// (de)quantisers for them: the weights `attn quantize` writes and a GGUF
// file's tensors of these types are the same bytes. Q4_0 and Q8_0 blocks
// hold 32 weights; the K types super-blocks of 256 (quant_k_blocks.cpp).
#pragma once

#include <cstdint>

#include "attn/dtype.h"

namespace attn {

inline constexpr int64_t kBlockElements = 32;       // Q4_0, Q8_0
inline constexpr int64_t kSuperBlockElements = 256;  // Q4_K, Q6_K, Q8_K (ggml's QK_K)

// ggml's block_q4_0: weight j of the block is ((qs[j % 16] >> (4 * (j / 16))) & 15) - 8, times d.
struct BlockQ4_0 {
  uint16_t d;      // f16 scale
  uint8_t qs[16];  // low nibbles: weights 0-15, high nibbles: weights 16-31
};
static_assert(sizeof(BlockQ4_0) == 18, "ggml's block_q4_0 is 18 bytes");

// ggml's block_q4_1: weight j is code j (Q4_0's nibble order, unsigned) * d + m.
struct BlockQ4_1 {
  uint16_t d, m;   // f16 scale and min
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20, "ggml's block_q4_1 is 20 bytes");

// ggml's block_q5_1: weight j is code j * d + m, the code's low 4 bits in
// Q4_1's nibble order and its fifth in bit j of the little-endian qh.
struct BlockQ5_1 {
  uint16_t d, m;   // f16 scale and min
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_1) == 24, "ggml's block_q5_1 is 24 bytes");

// ggml's block_q8_0: weight j is qs[j] * d. Also the activation blocks the
// Q4_0 and Q8_0 kernels dot weights with.
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34, "ggml's block_q8_0 is 34 bytes");

// ggml's block_q4_K: 8 sub-blocks of 32, weight = d * scale_j * q - dmin * min_j
// with 6-bit scale_j and min_j packed in `scales` (q4_k_scale_min) and 4-bit
// q: bytes 32g..32g+31 of qs hold sub-block 2g in their low nibbles and
// sub-block 2g + 1 in their high nibbles.
struct BlockQ4_K {
  uint16_t d, dmin;  // f16 super-block scales of the sub-block scales and mins
  uint8_t scales[12];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_K) == 144, "ggml's block_q4_K is 144 bytes");

// ggml's block_q5_K: Q4_K's scales, mins and 4-bit codes, plus a fifth
// (high) bit of weight i in bit i / 32 of qh[i % 32] (q5_k_value).
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ5_K) == 176, "ggml's block_q5_K is 176 bytes");

// ggml's block_q6_K: 16 sub-blocks of 16, weight i = d * scales[i / 16] *
// (q_i - 32) with 6-bit q_i: its low 4 bits in ql, its high 2 in qh
// (q6_k_value gives the layout).
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;  // f16
};
static_assert(sizeof(BlockQ6_K) == 210, "ggml's block_q6_K is 210 bytes");

// ggml's block_q8_K, the activation blocks of the K-type kernels (and a
// weight type of GGUF files): value j is qs[j] * d; bsums[i] is the sum of
// qs[16i .. 16i + 15].
struct BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};
static_assert(sizeof(BlockQ8_K) == 292, "ggml's block_q8_K is 292 bytes");

// ggml's block_iq4_xs: 8 sub-blocks of 32, weight i = d * (scale_j - 32) *
// kIq4NlValues[index_i] for j = i / 32, the 6-bit scale_j's low 4 bits in
// scales_l, its high 2 in scales_h (iq4_xs_scale), each sub-block's 4-bit
// indices in 16 bytes of qs in Q4_0's nibble order (iq4_xs_index).
struct BlockIQ4_XS {
  uint16_t d;  // f16
  uint16_t scales_h;
  uint8_t scales_l[4];
  uint8_t qs[128];
};
static_assert(sizeof(BlockIQ4_XS) == 136, "ggml's block_iq4_xs is 136 bytes");

// ggml-common.h's kvalues_iq4nl, the non-linear codes of IQ4_NL and IQ4_XS.
inline constexpr int8_t kIq4NlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// ggml's quantize_row_q4_0_ref: per block, d = m / -8 where m is the value of
// largest magnitude (the first one on ties), q = min(15, trunc(x / d + 8.5)).
void quantize_q4_0(const float* x, BlockQ4_0* blocks, int64_t k);
// ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x * (1 / d)).
void quantize_q8_0(const float* x, BlockQ8_0* blocks, int64_t k);
// ggml's quantize_row_q4_K_ref (no importance matrix): per sub-block a
// weighted least-squares fit of scale and min over 21 candidate grids,
// then both quantised to 6 bits against the super-block's largest.
void quantize_q4_k(const float* x, BlockQ4_K* blocks, int64_t k);
// ggml's quantize_row_q6_K_ref: per sub-block the best of 19 scales by
// x^2-weighted error, the scales quantised to int8 against the largest.
void quantize_q6_k(const float* x, BlockQ6_K* blocks, int64_t k);
// ggml's quantize_row_q8_K_ref: d = m / -127 where m is the value of largest
// magnitude, q = round_half_even(x / d).
void quantize_q8_k(const float* x, BlockQ8_K* blocks, int64_t k);

void dequantize_q4_0(const BlockQ4_0* blocks, float* out, int64_t k);
void dequantize_q8_0(const BlockQ8_0* blocks, float* out, int64_t k);
void dequantize_q4_1(const BlockQ4_1* blocks, float* out, int64_t k);
void dequantize_q5_1(const BlockQ5_1* blocks, float* out, int64_t k);
void dequantize_q4_k(const BlockQ4_K* blocks, float* out, int64_t k);
void dequantize_q5_k(const BlockQ5_K* blocks, float* out, int64_t k);
void dequantize_q6_k(const BlockQ6_K* blocks, float* out, int64_t k);
void dequantize_q8_k(const BlockQ8_K* blocks, float* out, int64_t k);
void dequantize_iq4_xs(const BlockIQ4_XS* blocks, float* out, int64_t k);

// Sub-block j's (0-7) 6-bit scale and min in a Q4_K block (ggml's get_scale_min_k4).
inline void q4_k_scale_min(const uint8_t* scales, int j, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = scales[j] & 63;
    min = scales[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}
// All eight at once, as the kernels read them per super-block.
inline void q4_k_scales_and_mins(const uint8_t* packed, uint8_t scales[8], uint8_t mins[8]) {
  for (int j = 0; j < 8; ++j) q4_k_scale_min(packed, j, scales[j], mins[j]);
}
// Weight i's (0-255) 4-bit code in a Q4_K block, 5-bit code in a Q5_K
// block, and 6-bit code (0-63, 32 is zero) in a Q6_K block.
inline int q4_k_value(const BlockQ4_K& b, int i) {
  return (b.qs[i / 64 * 32 + i % 32] >> (i % 64 / 32 * 4)) & 15;
}
inline int q5_k_value(const BlockQ5_K& b, int i) {
  return ((b.qs[i / 64 * 32 + i % 32] >> (i % 64 / 32 * 4)) & 15) | (((b.qh[i % 32] >> (i / 32)) & 1) << 4);
}
inline int q6_k_value(const BlockQ6_K& b, int i) {
  const int half = i / 128, quarter = i % 128 / 32, l = i % 32;
  const int low = (b.ql[64 * half + 32 * (quarter % 2) + l] >> (4 * (quarter / 2))) & 15;
  const int high = (b.qh[32 * half + l] >> (2 * quarter)) & 3;
  return low | (high << 4);
}
// Weight j's (0-31) 5-bit code in a Q5_1 block.
inline int q5_1_value(const BlockQ5_1& b, int j) {
  const uint32_t high = b.qh[0] | (b.qh[1] << 8) | (b.qh[2] << 16) | (static_cast<uint32_t>(b.qh[3]) << 24);
  return ((j < 16 ? b.qs[j] : b.qs[j - 16] >> 4) & 15) | (((high >> j) & 1) << 4);
}
// Sub-block j's (0-7) 6-bit scale (0-63, 32 is zero) and weight i's (0-255)
// 4-bit index in an IQ4_XS block: bytes 16j .. 16j + 15 of qs hold values
// 32j .. 32j + 15 in their low nibbles and 32j + 16 .. 32j + 31 in their high ones.
inline int iq4_xs_scale(const BlockIQ4_XS& b, int j) {
  return ((b.scales_l[j / 2] >> (4 * (j % 2))) & 15) | (((b.scales_h >> (2 * j)) & 3) << 4);
}
inline int iq4_xs_index(const BlockIQ4_XS& b, int i) {
  return (b.qs[i / 32 * 16 + i % 16] >> (i % 32 / 16 * 4)) & 15;
}

// The block weight types by DType: `k` values, a whole number of the
// type's blocks. Q4_1, Q5_1, Q5_K, Q8_K and IQ4_XS, which attn only reads
// (from GGUF files), have no quantiser.
void quantize_blocks(DType type, const float* x, void* blocks, int64_t k);
void dequantize_blocks(DType type, const void* blocks, float* out, int64_t k);

}  // namespace attn
