// AVX2 Q8_K x q8_K GEMV (block_kernels.h): int8 weights times int8
// activations by the signed multiply-add (|weight| <= 128, |activation| <=
// 127 keep the int16 pairs exact), 32 values at a time into eight int32
// lanes; the super-block's f32 scale times the activations' at the end.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_q8_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockQ8_K* row = static_cast<const BlockQ8_K*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      __m256i sums = _mm256_setzero_si256();
      for (int v = 0; v < 8; ++v) {
        const __m256i weights = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[b].qs + 32 * v));
        const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs + 32 * v));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(avx2::signed_pairs(weights, acts), ones));
      }
      const float d = row[b].d * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
    }
    y[r] = avx2::reduce_lanes(lanes);
  }
}

}  // namespace attn::kernels
