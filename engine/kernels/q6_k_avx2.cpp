// AVX2 Q6_K x q8_K GEMV (block_kernels.h). Each half super-block's 64 low
// bytes and 32 high bytes unpack into four vectors of 32 six-bit codes
// (ggml's layout, q6_k_value); the signed codes (q - 32) times the
// activations are summed into int32 lanes times the int8 scale of each 16.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void gemv_q6_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  const __m256i low_mask = _mm256_set1_epi8(15), two_bits = _mm256_set1_epi8(3), offset = _mm256_set1_epi8(32);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const BlockQ6_K* row = static_cast<const BlockQ6_K*>(w) + r * blocks;
    __m256 lanes = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockQ6_K& block = row[b];
      __m256i sums = _mm256_setzero_si256();
      for (int half = 0; half < 2; ++half) {
        const __m256i low0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.ql + 64 * half));
        const __m256i low1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.ql + 64 * half + 32));
        const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh + 32 * half));
        const __m256i low_nibbles[4] = {low0, low1, _mm256_srli_epi16(low0, 4), _mm256_srli_epi16(low1, 4)};
        for (int quarter = 0; quarter < 4; ++quarter) {
          const __m256i high_bits = _mm256_and_si256(_mm256_srli_epi16(high, 2 * quarter), two_bits);
          const __m256i codes = _mm256_sub_epi8(
              _mm256_or_si256(_mm256_and_si256(low_nibbles[quarter], low_mask), _mm256_slli_epi16(high_bits, 4)),
              offset);
          const int first = 128 * half + 32 * quarter;  // values first .. first + 31: scales first / 16 and + 1
          const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs + first));
          const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(block.scales[first / 16 + 1]),
                                                  _mm_set1_epi16(block.scales[first / 16]));
          sums = _mm256_add_epi32(sums, avx2::scaled_quads(avx2::signed_pairs(codes, acts), scales));
        }
      }
      const float d = _cvtsh_ss(block.d) * activations[b].d;
      lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sums), lanes);
    }
    y[r] = avx2::reduce_lanes(lanes);
  }
}

}  // namespace attn::kernels
