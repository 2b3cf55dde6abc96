// The AVX2 q8_0 activation quantiser the 32-value block types share (on
// AVX-512 too).
#include <immintrin.h>

#include "engine/kernels/block_gemv.h"
#include "engine/tensor.h"

namespace attn::kernels {

void quantize_q8_0_activations_avx2(const float* x, void* blocks, int64_t k) {
  auto* out = static_cast<BlockQ8_0*>(blocks);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  // The packs work per 128-bit lane; the permute restores element order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float* v = x + b * kBlockElements;
    __m256 max8 = _mm256_and_ps(_mm256_loadu_ps(v), abs_mask);
    for (int j = 8; j < 32; j += 8) max8 = _mm256_max_ps(max8, _mm256_and_ps(_mm256_loadu_ps(v + j), abs_mask));
    __m128 max4 = _mm_max_ps(_mm256_castps256_ps128(max8), _mm256_extractf128_ps(max8, 1));
    max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
    max4 = _mm_max_ss(max4, _mm_movehdup_ps(max4));
    const float amax = _mm_cvtss_f32(max4);
    const float inverse = amax != 0.f ? 127.f / amax : 0.f;
    out[b].d = f32_to_f16(amax / 127.f);
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    __m256i ints[4];
    for (int j = 0; j < 4; ++j) ints[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 8 * j), inverse8));
    const __m256i bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(ints[0], ints[1]), _mm256_packs_epi32(ints[2], ints[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].qs), _mm256_permutevar8x32_epi32(bytes, order));
  }
}

}  // namespace attn::kernels
