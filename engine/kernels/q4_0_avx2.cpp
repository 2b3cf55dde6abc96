// AVX2 Q4_0 x q8_0 GEMV (block_kernels.h). A block's 16 bytes unpack into 32
// 4-bit values in ggml's order (low nibbles, then high nibbles).
//
// Four weight rows go through each activation block together: the block is
// loaded once, and the four rows' sums are independent chains. The nibbles
// n = code + 8 are multiplied unsigned (vpmaddubsw takes u8 x s8 directly),
// and 8 x the lane's activation sum, computed once per block for all rows,
// is subtracted: sum(n * a) - 8 * sum(a) = sum(code * a), the same exact
// int32 lanes as the scalar kernel's, so results stay bit-identical.
#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_gemv.h"

namespace attn::kernels {
namespace {

constexpr int kRowsPerGroup = 4;

template <int kRows>
void gemv_q4_0_group(const BlockQ4_0* const* rows, const char* next, const BlockQ8_0* activations, int64_t blocks,
                     float* y) {
  const __m256i low_mask = _mm256_set1_epi8(15), eights = _mm256_set1_epi8(8), ones = _mm256_set1_epi16(1);
  __m256 lanes[kRows];
  for (int i = 0; i < kRows; ++i) lanes[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const __m256i acts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(activations[b].qs));
    const __m256i offsets = avx2::scaled_quads(_mm256_maddubs_epi16(eights, acts), ones);
    const float dx = _cvtsh_ss(activations[b].d);
    // The group reads kRows rows side by side, too short a stream each for the
    // hardware prefetchers: the next group's bytes are fetched meanwhile.
    for (int64_t line = 0; line < kRows * static_cast<int64_t>(sizeof(*rows[0])); line += 64) {
      _mm_prefetch(next + b * kRows * static_cast<int64_t>(sizeof(*rows[0])) + line, _MM_HINT_T0);
    }
    for (int i = 0; i < kRows; ++i) {
      const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[i][b].qs));
      const __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_mask);
      const __m256i products = avx2::scaled_quads(_mm256_maddubs_epi16(nibbles, acts), ones);
      const __m256 sums = _mm256_cvtepi32_ps(_mm256_sub_epi32(products, offsets));
      const float d = _cvtsh_ss(rows[i][b].d) * dx;
      lanes[i] = _mm256_fmadd_ps(_mm256_set1_ps(d), sums, lanes[i]);
    }
  }
  for (int i = 0; i < kRows; ++i) y[i] = avx2::reduce_lanes(lanes[i]);
}

}  // namespace

void gemv_q4_0_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kBlockElements;
  const auto* weights = static_cast<const BlockQ4_0*>(w);
  const auto* activations = static_cast<const BlockQ8_0*>(x);
  int64_t r = row_begin;
  for (; r + kRowsPerGroup <= row_end; r += kRowsPerGroup) {
    const BlockQ4_0* rows[kRowsPerGroup];
    for (int i = 0; i < kRowsPerGroup; ++i) rows[i] = weights + (r + i) * blocks;
    const char* next = reinterpret_cast<const char*>(weights + (r + kRowsPerGroup) * blocks);
    gemv_q4_0_group<kRowsPerGroup>(rows, next, activations, blocks, y + r);
  }
  for (; r < row_end; ++r) {
    const BlockQ4_0* row = weights + r * blocks;
    gemv_q4_0_group<1>(&row, reinterpret_cast<const char*>(row + blocks), activations, blocks, y + r);
  }
}

}  // namespace attn::kernels
