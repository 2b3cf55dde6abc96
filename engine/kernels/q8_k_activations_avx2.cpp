// The AVX2 q8_K activation quantiser the K types share (on AVX-512 too):
// ggml's quantize_row_q8_K_ref (quantize_q8_k in quant_k_blocks.cpp) to the
// byte, eight values at a time. It ran as scalar code before, a tenth of a
// q4_k_m prefill.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {

void quantize_q8_k_activations_avx2(const float* x, void* blocks, int64_t k) {
  auto* out = static_cast<BlockQ8_K*>(blocks);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    const float* v = x + b * kSuperBlockElements;
    BlockQ8_K& y = out[b];
    // max |x| as the reference finds it: NaNs never win (max_ps returns
    // its second operand, the running maximum, when the first is NaN).
    __m256 max8 = _mm256_setzero_ps();
    for (int j = 0; j < kSuperBlockElements; j += 8) max8 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(v + j), abs_mask), max8);
    const float amax = avx2::max_of_lanes(max8);
    if (amax == 0) {
      std::memset(&y, 0, sizeof(y));
      continue;
    }
    // The signed value of the first element of that magnitude.
    int first = 0;
    while (!(std::fabs(v[first]) == amax)) ++first;
    const float iscale = -127.f / v[first];
    const __m256 iscale8 = _mm256_set1_ps(iscale);
    const __m256 rounding_limit = _mm256_set1_ps(4194303.f);
    for (int j = 0; j < kSuperBlockElements; j += 32) {
      __m256i ints[4];
      for (int i = 0; i < 4; ++i) {
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(v + j + 8 * i), iscale8);
        // nearest_int: round half to even, 0 beyond 2^22 - 1 and for NaN.
        const __m256 in_range = _mm256_cmp_ps(_mm256_and_ps(scaled, abs_mask), rounding_limit, _CMP_LE_OQ);
        const __m256i rounded = _mm256_and_si256(_mm256_cvtps_epi32(scaled), _mm256_castps_si256(in_range));
        ints[i] = _mm256_min_epi32(rounded, _mm256_set1_epi32(127));
      }
      avx2::store_codes(ints, y.qs + j);
    }
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += y.qs[16 * j + i];
      y.bsums[j] = static_cast<int16_t>(sum);
    }
    y.d = 1 / iscale;
  }
}

}  // namespace attn::kernels
