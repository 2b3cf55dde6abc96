// AVX2 Q5_K x q8_K GEMV (block_kernels.h): Q4_K's kernel with each code's
// fifth bit (bit 2g or 2g + 1 of its qh byte for the sub-blocks of the
// g-th 32 bytes of codes) put above the nibble; codes of 0-31 times
// activations of at most 127 stay exact in the int16 pairs.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_q5_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  const __m256i low_mask = _mm256_set1_epi8(15), bit = _mm256_set1_epi8(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockQ5_K* row = static_cast<const BlockQ5_K*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    float min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockQ5_K& block = row[b];
      const int8_t* acts = activations[b].qs;
      const __m256i high_bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh));
      __m256i sums = _mm256_setzero_si256();
      for (int g = 0; g < 4; ++g) {
        uint8_t low_scale, high_scale, unused;
        q4_k_scale_min(block.scales, 2 * g, low_scale, unused);
        q4_k_scale_min(block.scales, 2 * g + 1, high_scale, unused);
        const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * g));
        // Shifts within 16-bit lanes: bit 0 of each byte after the mask is the byte's own bit.
        const __m256i low_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g), bit);
        const __m256i high_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g + 1), bit);
        const __m256i low = _mm256_or_si256(_mm256_and_si256(bytes, low_mask), _mm256_slli_epi16(low_fifth, 4));
        const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask),
                                             _mm256_slli_epi16(high_fifth, 4));
        const __m256i low_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g));
        const __m256i high_acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts + 64 * g + 32));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(low, low_acts), _mm256_set1_epi16(low_scale)));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(_mm256_maddubs_epi16(high, high_acts), _mm256_set1_epi16(high_scale)));
      }
      const float d = _cvtsh_ss(block.d) * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
      min_sum += q5_k_mins(block, activations[b]);
    }
    y[r] = avx2::reduce_lanes(lanes) - min_sum;
  }
}

}  // namespace attn::kernels
