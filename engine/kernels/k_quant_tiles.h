// The K-quant super-blocks of Q5_K (6-bit scales and mins; Q4_K's and
// Q6_K's rows are interleaved: interleaved_tiles.h)
// times q8_K activation rows, in register tiles of kRows weight rows x kCols
// activation rows (block_tiles.h; included only by files built with AVX2 or AVX-512 flags
// and -ffp-contract=off, so that the only fused multiply-adds are the
// explicit ones block_kernels.h describes).
//
// Each 32 bytes of codes hold two sub-blocks; the codes are unsigned, so the
// u8 x s8 multiply-add takes them directly, and the pairs are summed into
// int32 lanes times the sub-block's 6-bit scale. A super-block's scales and
// mins are unpacked once for all the tile's activation rows. Every (weight
// row, activation row) pair runs the scalar kernel's sequence: exact int32
// lanes, one FMA per super-block into eight f32 lanes, the min term
// dmin * d_x * (exact sum of min_j times the activation sums) added to a
// sum of its own, one reduction; so decode, prefill and every ISA agree to
// the bit.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_tiles.h"
#include "engine/quant_blocks.h"

namespace attn::kernels::tiles {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// The codes of sub-blocks 2g and 2g + 1 (codes(block, g)), 0-31 each.
struct SubBlockPair {
  __m256i low, high;
};

// Q5_K's codes: Q4_K's nibbles with each code's fifth bit (bit 2g or 2g + 1
// of its qh byte) put above the nibble; codes of 0-31 times activations of at most 127 stay
// exact in the int16 pairs.
struct Q5_KCodes {
  using Block = BlockQ5_K;
  static SubBlockPair codes(const Block& block, int g) {
    const __m256i low_mask = _mm256_set1_epi8(15), bit = _mm256_set1_epi8(1);
    const __m256i high_bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh));
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * g));
    // Shifts within 16-bit lanes: bit 0 of each byte after the mask is the byte's own bit.
    const __m256i low_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g), bit);
    const __m256i high_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g + 1), bit);
    return {_mm256_or_si256(_mm256_and_si256(bytes, low_mask), _mm256_slli_epi16(low_fifth, 4)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask), _mm256_slli_epi16(high_fifth, 4))};
  }
};

// The exact integer part of the min term: sum over sub-blocks j of
// min_j * (the sum of j's 32 activation codes, q8_K's two bsums).
inline int32_t min_products(const uint8_t mins[8], const BlockQ8_K& x) {
  const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsums));
  const __m128i mins8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins));
  // Each min twice, as int16, next to the two bsums of its sub-block.
  const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));
  const __m256i products = _mm256_madd_epi16(bsums, mins16);
  __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(products), _mm256_extracti128_si256(products, 1));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(sum);
}

// The tile kernel (block_tiles.h) of Q5_K.
template <class Codes>
struct SuperBlocksWithMins {
  using Block = typename Codes::Block;
  using Activation = BlockQ8_K;
  static constexpr int64_t kBlockValues = kSuperBlockElements;

  template <int kRows, int kCols>
  static void tile(const Block* const* rows, const char* next, const BlockQ8_K* const* acts, int64_t blocks,
                   float* const* y) {
    __m256 lanes[kRows][kCols];
    float min_sums[kRows][kCols];
    for (int i = 0; i < kRows; ++i) {
      for (int c = 0; c < kCols; ++c) lanes[i][c] = _mm256_setzero_ps(), min_sums[i][c] = 0.f;
    }
    for (int64_t b = 0; b < blocks; ++b) {
      prefetch_next_group<Block, kRows>(next, b);
      for (int i = 0; i < kRows; ++i) {
        const Block& block = rows[i][b];
        uint8_t scales[8], mins[8];
        q4_k_scales_and_mins(block.scales, scales, mins);
        __m256i sums[kCols];
        for (int c = 0; c < kCols; ++c) sums[c] = _mm256_setzero_si256();
        for (int g = 0; g < 4; ++g) {
          const auto [low, high] = Codes::codes(block, g);
          const __m256i low_scale = _mm256_set1_epi16(scales[2 * g]), high_scale = _mm256_set1_epi16(scales[2 * g + 1]);
          for (int c = 0; c < kCols; ++c) {
            const int8_t* x = acts[c][b].qs + 64 * g;
            const __m256i low_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
            const __m256i high_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32));
            sums[c] = _mm256_add_epi32(sums[c], avx2::scaled_quads(_mm256_maddubs_epi16(low, low_acts), low_scale));
            sums[c] = _mm256_add_epi32(sums[c], avx2::scaled_quads(_mm256_maddubs_epi16(high, high_acts), high_scale));
          }
        }
        const float dw = _cvtsh_ss(block.d), dmin = _cvtsh_ss(block.dmin);
        for (int c = 0; c < kCols; ++c) {
          const BlockQ8_K& x = acts[c][b];
          lanes[i][c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x.d), _mm256_cvtepi32_ps(sums[c]), lanes[i][c]);
          min_sums[i][c] += dmin * x.d * static_cast<float>(min_products(mins, x));
        }
      }
    }
    for (int i = 0; i < kRows; ++i) {
      for (int c = 0; c < kCols; ++c) y[c][i] = avx2::reduce_lanes(lanes[i][c]) - min_sums[i][c];
    }
  }
};

}  // namespace
}  // namespace attn::kernels::tiles
