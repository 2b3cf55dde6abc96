// The AVX2 GEMV of the K-quant super-blocks with 4-bit scales and mins
// (Q4_K, Q5_K) times q8_K activations, shared by their kernels, which only
// say how a block's codes are read. Each 32 bytes of codes hold two
// sub-blocks; the codes are unsigned, so the u8 x s8 multiply-add takes them
// directly, and the pairs are summed into int32 lanes times the sub-block's
// 6-bit scale. Included only by AVX2-compiled kernel files.
#pragma once

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

// codes(block, g) returns the codes of sub-blocks 2g and 2g + 1 (a pair of
// __m256i, 0-31 each); mins(block, activations) the block's min term.
template <typename Block, typename Codes, typename Mins>
void gemv_k_quant_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k,
                       Codes codes, Mins mins) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const Block* row = static_cast<const Block*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    float min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const Block& block = row[b];
      const int8_t* acts = activations[b].qs;
      __m256i sums = _mm256_setzero_si256();
      for (int g = 0; g < 4; ++g) {
        uint8_t low_scale, high_scale, unused;
        q4_k_scale_min(block.scales, 2 * g, low_scale, unused);
        q4_k_scale_min(block.scales, 2 * g + 1, high_scale, unused);
        const auto [low, high] = codes(block, g);
        const __m256i low_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g));
        const __m256i high_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g + 32));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(low, low_acts), _mm256_set1_epi16(low_scale)));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(high, high_acts), _mm256_set1_epi16(high_scale)));
      }
      const float d = _cvtsh_ss(block.d) * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
      min_sum += mins(block, activations[b]);
    }
    y[r] = avx2::reduce_lanes(lanes) - min_sum;
  }
}

}  // namespace attn::kernels
