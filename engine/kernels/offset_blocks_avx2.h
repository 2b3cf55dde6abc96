// The AVX2 GEMV of the blocks of 32 with a scale and a min (Q4_1, Q5_1)
// times q8_0 activations, shared by their kernels, which only say how a
// block's codes are read. The codes are unsigned, so the u8 x s8
// multiply-add takes them directly; the block's min term comes from
// mins(block, activations), as in the scalar kernel. Included only by
// AVX2-compiled kernel files.
#pragma once

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

// codes(block) returns the block's 32 codes in value order (0-31 each).
template <typename Block, typename Codes, typename Mins>
void gemv_offset_blocks_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k,
                             Codes codes, Mins mins) {
  const int64_t blocks = k / kBlockElements;
  const auto* activations = static_cast<const BlockQ8_0*>(x);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const Block* row = static_cast<const Block*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    float min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      min_sum += mins(row[b], activations[b]);
      const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs));
      const __m256 sums = _mm256_cvtepi32_ps(avx2::scaled_quads(_mm256_maddubs_epi16(codes(row[b]), acts), ones));
      const float d = _cvtsh_ss(row[b].d) * _cvtsh_ss(activations[b].d);
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), sums, lanes);
    }
    y[r] = avx2::reduce_lanes(lanes) + min_sum;
  }
}

}  // namespace attn::kernels
