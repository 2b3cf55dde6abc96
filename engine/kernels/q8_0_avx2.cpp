// AVX2 Q8_0 x q8_0 GEMV (block_kernels.h), and the q8_0 activation
// quantiser the Q4_0 and Q8_0 kernels share.
#include <cmath>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"
#include "engine/tensor.h"

namespace attn::kernels {

namespace {

constexpr int kRowsPerGroup = 4;

// Four weight rows per pass over the activation blocks: each block is loaded
// once and the rows' sums are independent chains; every row's operations are
// the one-row kernel's, in the same order.
template <int kRows>
void gemv_q8_0_group(const BlockQ8_0* const* rows, const char* next, const BlockQ8_0* activations, int64_t blocks,
                     float* y) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 lanes[kRows];
  for (int i = 0; i < kRows; ++i) lanes[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs));
    const float dx = _cvtsh_ss(activations[b].d);
    // The group reads kRows rows side by side, too short a stream each for the
    // hardware prefetchers: the next group's bytes are fetched meanwhile.
    for (int64_t line = 0; line < kRows * static_cast<int64_t>(sizeof(*rows[0])); line += 64) {
      _mm_prefetch(next + b * kRows * static_cast<int64_t>(sizeof(*rows[0])) + line, _MM_HINT_T0);
    }
    for (int i = 0; i < kRows; ++i) {
      const __m256i codes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i][b].qs));
      const __m256 sums = _mm256_cvtepi32_ps(avx2::scaled_quads(avx2::signed_pairs(codes, acts), ones));
      const float d = _cvtsh_ss(rows[i][b].d) * dx;
      lanes[i] = _mm256_fmadd_ps(_mm256_set1_ps(d), sums, lanes[i]);
    }
  }
  for (int i = 0; i < kRows; ++i) y[i] = avx2::reduce_lanes(lanes[i]);
}

}  // namespace

void gemv_q8_0_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kBlockElements;
  const auto* weights = static_cast<const BlockQ8_0*>(w);
  const auto* activations = static_cast<const BlockQ8_0*>(x);
  int64_t r = row_begin;
  for (; r + kRowsPerGroup <= row_end; r += kRowsPerGroup) {
    const BlockQ8_0* rows[kRowsPerGroup];
    for (int i = 0; i < kRowsPerGroup; ++i) rows[i] = weights + (r + i) * blocks;
    const char* next = reinterpret_cast<const char*>(weights + (r + kRowsPerGroup) * blocks);
    gemv_q8_0_group<kRowsPerGroup>(rows, next, activations, blocks, y + r);
  }
  for (; r < row_end; ++r) {
    const BlockQ8_0* row = weights + r * blocks;
    gemv_q8_0_group<1>(&row, reinterpret_cast<const char*>(row + blocks), activations, blocks, y + r);
  }
}

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
