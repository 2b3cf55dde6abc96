// AVX-512 (VNNI) int8 GEMV: 64 weight bytes per vpdpbusd. The row
// quantiser and dequantiser are the AVX2 ones (a pass over one activation
// row; the GEMV streams the whole matrix).
#include <immintrin.h>

#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

// vpdpbusd multiplies unsigned by signed bytes: the weights go in as w + 128
// (w xor 0x80), and 128 x the sum of the activations, once per call, is
// subtracted. All sums are exact in int32 (int8.h), so the result is the
// AVX2 and scalar kernels' to the bit. Tails are masked loads of zeros.
__m512i biased_dot(__m512i acc, const int8_t* w, const int8_t* qx, __mmask64 mask) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i wi = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, w), bias);
  return _mm512_dpbusd_epi32(acc, wi, _mm512_maskz_loadu_epi8(mask, qx));
}

// The sum of 16 int32 lanes (exact, so any order), once per row. Through
// memory: GCC 12's lane extracts (and _mm512_reduce_add_epi32) warn of an
// uninitialised register.
int32_t lane_sum(__m512i v) {
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, v);
  int32_t sum = 0;
  for (int32_t lane : lanes) sum += lane;
  return sum;
}

__mmask64 tail_mask(int64_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// Two accumulators, as the AVX2 kernel: one sequential stream per row, which
// the hardware prefetchers follow at full bandwidth.
int32_t biased_row_sum(const int8_t* w, const int8_t* qx, int64_t k) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 128 <= k; i += 128) {
    acc0 = biased_dot(acc0, w + i, qx + i, ~__mmask64{0});
    acc1 = biased_dot(acc1, w + i + 64, qx + i + 64, ~__mmask64{0});
  }
  for (; i < k; i += 64) acc0 = biased_dot(acc0, w + i, qx + i, tail_mask(k - i));
  return lane_sum(_mm512_add_epi32(acc0, acc1));
}

void gemv_rows(const int8_t* w, const float* w_scales, const int8_t* qx, float x_scale, float* y, int64_t row_begin,
               int64_t row_end, int64_t k) {
  __m512i bias_acc = _mm512_setzero_si512();
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t i = 0; i < k; i += 64) bias_acc = _mm512_dpbusd_epi32(bias_acc, bias, _mm512_maskz_loadu_epi8(tail_mask(k - i), qx + i));
  const int32_t bias_sum = lane_sum(bias_acc);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int32_t sum = biased_row_sum(w + r * k, qx, k) - bias_sum;
    y[r] = static_cast<float>(sum) * (w_scales[r] * x_scale);
  }
}

}  // namespace

const Int8Kernels& avx512_int8_kernels() {
  static const Int8Kernels table{avx2_int8_kernels().quantize_row, avx2_int8_kernels().dequantize_row, gemv_rows};
  return table;
}

}  // namespace attn::kernels
