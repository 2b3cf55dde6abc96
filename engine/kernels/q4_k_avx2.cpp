// AVX2 Q4_K x q8_K GEMV (block_kernels.h): the codes are a byte's nibbles,
// the low ones for the first sub-block of each 32 bytes, the high ones for the second.
#include <utility>

#include "engine/kernels/k_quant_avx2.h"

namespace attn::kernels {

void gemv_q4_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const __m256i low_mask = _mm256_set1_epi8(15);
  const auto codes = [&](const BlockQ4_K& block, int g) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * g));
    return std::pair(_mm256_and_si256(bytes, low_mask), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask));
  };
  gemv_k_quant_avx2<BlockQ4_K>(w, x, y, row_begin, row_end, k, codes, q4_k_mins);
}

}  // namespace attn::kernels
