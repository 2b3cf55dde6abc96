#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

float quantize_row(const float* x, int8_t* q, int64_t n) {
  float max_abs = 0.f;
  for (int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  if (max_abs == 0.f) {
    std::memset(q, 0, n);
    return 0.f;
  }
  const float inverse = 127.f / max_abs;
  // nearbyint rounds half to even under the default rounding mode, like
  // the AVX2 conversion.
  for (int64_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::nearbyint(x[i] * inverse));
  return max_abs / 127.f;
}

void dequantize_row(const int8_t* q, float scale, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = q[i] * scale;
}

void gemv_rows(const int8_t* w, const float* w_scales, const int8_t* qx, float x_scale, float* y, int64_t row_begin,
               int64_t row_end, int64_t k) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    int32_t sum = 0;
    for (int64_t i = 0; i < k; ++i) sum += int32_t{w[r * k + i]} * qx[i];
    y[r] = static_cast<float>(sum) * (w_scales[r] * x_scale);
  }
}

}  // namespace

const Int8Kernels& scalar_int8_kernels() {
  static const Int8Kernels table{quantize_row, dequantize_row, gemv_rows};
  return table;
}

}  // namespace attn::kernels
