// AVX2 Q4_1 x q8_0 GEMV (block_kernels.h): Q4_0's nibble unpacking with
// unsigned codes, which the u8 x s8 multiply-add takes directly; the
// block's min term comes from q4_1_mins, as in the scalar kernel.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_q4_1_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kBlockElements;
  const auto* activations = static_cast<const BlockQ8_0*>(x);
  const __m256i low_mask = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockQ4_1* row = static_cast<const BlockQ4_1*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    float min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      min_sum += q4_1_mins(row[b], activations[b]);
      const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row[b].qs));
      const __m256i codes = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_mask);
      const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs));
      const __m256 sums = _mm256_cvtepi32_ps(avx2::scaled_quads(_mm256_maddubs_epi16(codes, acts), ones));
      const float d = _cvtsh_ss(row[b].d) * _cvtsh_ss(activations[b].d);
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), sums, lanes);
    }
    y[r] = avx2::reduce_lanes(lanes) + min_sum;
  }
}

}  // namespace attn::kernels
