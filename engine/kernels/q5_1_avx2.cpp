// AVX2 Q5_1 x q8_0 GEMV (block_kernels.h): Q4_1's kernel with each code's
// fifth bit, bit j of qh for value j, put above the nibble; codes of 0-31
// times activations of at most 127 stay exact in the int16 pairs.
#include <cstring>

#include "engine/kernels/offset_blocks_avx2.h"

namespace attn::kernels {

void gemv_q5_1_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  // Byte j of the 32 gets qh's byte j / 8; the mask keeps bit j % 8 of it.
  const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));
  const __m256i fifth = _mm256_set1_epi8(16);
  const auto codes = [&](const BlockQ5_1& block) {
    uint32_t high;
    std::memcpy(&high, block.qh, sizeof high);
    const __m256i bits = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(high)), spread), bit_of_byte);
    const __m256i set = _mm256_cmpeq_epi8(bits, bit_of_byte);
    return _mm256_or_si256(avx2::nibbles_of_32(block.qs), _mm256_and_si256(set, fifth));
  };
  gemv_offset_blocks_avx2<BlockQ5_1>(w, x, y, row_begin, row_end, k, codes, q5_1_mins);
}

}  // namespace attn::kernels
