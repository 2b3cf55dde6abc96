// AVX2 Q4_0 kernels (q4_0.h). A block's 16 bytes unpack into 32 signed 4-bit
// values in ggml's order (low nibbles, then high nibbles); the products with
// the int8 activations use the u8 x s8 multiply-add on |w| and sign(w) * q,
// whose pairs (at most 2 * 8 * 127) never saturate int16.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/kernels/isa_kernels.h"
#include "engine/quant_blocks.h"
#include "engine/tensor.h"

namespace attn::kernels {
namespace {

void quantize_activations(const float* x, int8_t* q, float* block_scales, int64_t k) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  // The packs work per 128-bit lane; the permute restores element order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < k / kQ4_0BlockElements; ++b) {
    const float* v = x + b * kQ4_0BlockElements;
    __m256 max8 = _mm256_and_ps(_mm256_loadu_ps(v), abs_mask);
    for (int j = 8; j < 32; j += 8) max8 = _mm256_max_ps(max8, _mm256_and_ps(_mm256_loadu_ps(v + j), abs_mask));
    __m128 max4 = _mm_max_ps(_mm256_castps256_ps128(max8), _mm256_extractf128_ps(max8, 1));
    max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
    max4 = _mm_max_ss(max4, _mm_movehdup_ps(max4));
    const float amax = _mm_cvtss_f32(max4);
    const float inverse = amax != 0.f ? 127.f / amax : 0.f;
    block_scales[b] = f16_to_f32(f32_to_f16(amax / 127.f));
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    __m256i ints[4];
    for (int j = 0; j < 4; ++j) ints[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + 8 * j), inverse8));
    const __m256i bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(ints[0], ints[1]), _mm256_packs_epi32(ints[2], ints[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kQ4_0BlockElements),
                        _mm256_permutevar8x32_epi32(bytes, order));
  }
}

float reduce_lanes(__m256 lanes) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
}

float row_dot(const BlockQ4_0* w, const int8_t* q, const float* block_scales, int64_t blocks) {
  const __m256i low_mask = _mm256_set1_epi8(15);
  const __m256i offset = _mm256_set1_epi8(8);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 lanes = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    const __m256i nibbles =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_mask);
    const __m256i weights = _mm256_sub_epi8(nibbles, offset);
    const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + b * kQ4_0BlockElements));
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(weights, weights), _mm256_sign_epi8(acts, weights));
    const __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
    const float d = _cvtsh_ss(w[b].d) * block_scales[b];
    lanes = _mm256_fmadd_ps(_mm256_set1_ps(d), sums, lanes);
  }
  return reduce_lanes(lanes);
}

void gemv_rows(const void* w, const int8_t* q, const float* block_scales, float* y, int64_t row_begin,
               int64_t row_end, int64_t k) {
  const int64_t blocks = k / kQ4_0BlockElements;
  for (int64_t r = row_begin; r < row_end; ++r) {
    y[r] = row_dot(static_cast<const BlockQ4_0*>(w) + r * blocks, q, block_scales, blocks);
  }
}

}  // namespace

const Q4_0Kernels& avx2_q4_0_kernels() {
  static const Q4_0Kernels table{quantize_activations, gemv_rows};
  return table;
}

}  // namespace attn::kernels
