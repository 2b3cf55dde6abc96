// The AVX2 q8_0 activation quantiser the 32-value block types share (on
// AVX-512 too).
#include <immintrin.h>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"
#include "engine/tensor.h"

namespace attn::kernels {

void quantize_q8_0_activations_avx2(const float* x, void* blocks, int64_t k) {
  auto* out = static_cast<BlockQ8_0*>(blocks);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float* v = x + b * kBlockElements;
    __m256 max8 = _mm256_and_ps(_mm256_loadu_ps(v), abs_mask);
    for (int j = 8; j < 32; j += 8) max8 = _mm256_max_ps(max8, _mm256_and_ps(_mm256_loadu_ps(v + j), abs_mask));
    const float amax = avx2::max_of_lanes(max8);
    const float inverse = amax != 0.f ? 127.f / amax : 0.f;
    out[b].d = f32_to_f16(amax / 127.f);
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    __m256i ints[4];
    for (int j = 0; j < 4; ++j) ints[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 8 * j), inverse8));
    avx2::store_codes(ints, out[b].qs);
  }
}

}  // namespace attn::kernels
