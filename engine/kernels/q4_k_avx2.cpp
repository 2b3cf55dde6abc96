// AVX2 Q4_K x q8_K GEMV (block_kernels.h). Each 32 bytes of codes hold two
// sub-blocks (low nibbles, high nibbles); the codes are unsigned, so the
// u8 x s8 multiply-add takes them directly, and the pairs are summed
// into int32 lanes times the sub-block's 6-bit scale.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_q4_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  const __m256i low_mask = _mm256_set1_epi8(15);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockQ4_K* row = static_cast<const BlockQ4_K*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    float min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockQ4_K& block = row[b];
      const int8_t* acts = activations[b].qs;
      __m256i sums = _mm256_setzero_si256();
      for (int g = 0; g < 4; ++g) {
        uint8_t low_scale, high_scale, unused;
        q4_k_scale_min(block.scales, 2 * g, low_scale, unused);
        q4_k_scale_min(block.scales, 2 * g + 1, high_scale, unused);
        const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * g));
        const __m256i low = _mm256_and_si256(bytes, low_mask);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask);
        const __m256i low_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g));
        const __m256i high_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g + 32));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(low, low_acts), _mm256_set1_epi16(low_scale)));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(high, high_acts), _mm256_set1_epi16(high_scale)));
      }
      const float d = _cvtsh_ss(block.d) * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
      min_sum += q4_k_mins(block, activations[b]);
    }
    y[r] = avx2::reduce_lanes(lanes) - min_sum;
  }
}

}  // namespace attn::kernels
