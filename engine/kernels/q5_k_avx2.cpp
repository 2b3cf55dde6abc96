// AVX2 Q5_K x q8_K GEMV (block_kernels.h): Q4_K's kernel with each code's
// fifth bit (bit 2g or 2g + 1 of its qh byte for the sub-blocks of the
// g-th 32 bytes of codes) put above the nibble; codes of 0-31 times
// activations of at most 127 stay exact in the int16 pairs.
#include <utility>

#include "engine/kernels/k_quant_avx2.h"

namespace attn::kernels {

void gemv_q5_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const __m256i low_mask = _mm256_set1_epi8(15), bit = _mm256_set1_epi8(1);
  const auto codes = [&](const BlockQ5_K& block, int g) {
    const __m256i high_bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh));
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * g));
    // Shifts within 16-bit lanes: bit 0 of each byte after the mask is the byte's own bit.
    const __m256i low_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g), bit);
    const __m256i high_fifth = _mm256_and_si256(_mm256_srli_epi16(high_bits, 2 * g + 1), bit);
    return std::pair(_mm256_or_si256(_mm256_and_si256(bytes, low_mask), _mm256_slli_epi16(low_fifth, 4)),
                     _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask),
                                     _mm256_slli_epi16(high_fifth, 4)));
  };
  gemv_k_quant_avx2<BlockQ5_K>(w, x, y, row_begin, row_end, k, codes, q5_k_mins);
}

}  // namespace attn::kernels
