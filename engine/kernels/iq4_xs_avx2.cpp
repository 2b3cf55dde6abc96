// AVX2 IQ4_XS x q8_K GEMV (block_kernels.h): each sub-block's 4-bit
// indices become their int8 table values by one byte shuffle of the
// 16-entry table; values (|v| <= 127) times activations by the signed
// multiply-add, the int16 pairs summed into int32 lanes times the
// sub-block's scale - 32, then the super-block's d times the activations'.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_iq4_xs_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4NlValues)));
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockIQ4_XS* row = static_cast<const BlockIQ4_XS*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockIQ4_XS& block = row[b];
      __m256i sums = _mm256_setzero_si256();
      for (int j = 0; j < 8; ++j) {
        const __m256i values = _mm256_shuffle_epi8(table, avx2::nibbles_of_32(block.qs + 16 * j));
        const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs + 32 * j));
        const __m256i scale = _mm256_set1_epi16(static_cast<int16_t>(iq4_xs_scale(block, j) - 32));
        sums = _mm256_add_epi32(sums, avx2::scaled_quads(avx2::signed_pairs(values, acts), scale));
      }
      const float d = _cvtsh_ss(block.d) * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
    }
    y[r] = avx2::reduce_lanes(lanes);
  }
}

}  // namespace attn::kernels
