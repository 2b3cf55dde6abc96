// Int8 kernels: weights quantised per output row (symmetric, one f32 scale
// per row) times an activation row quantised on the fly the same way. The
// products are summed exactly in int32 and scaled once per output, so every
// kernel (scalar or AVX2, any row split) gives bit-identical results.
#pragma once

#include <cstdint>

namespace attn::kernels {

struct Int8Kernels {
  // q[i] = round_half_even(x[i] * 127 / max|x|), in [-127, 127] (never -128,
  // which the AVX2 sign trick cannot negate). Returns the scale max|x| / 127
  // (0 for an all-zero row, which quantises to zeros).
  float (*quantize_row)(const float* x, int8_t* q, int64_t n);
  // out[i] = q[i] * scale
  void (*dequantize_row)(const int8_t* q, float scale, float* out, int64_t n);
  // y[r] = float(sum_i w[r, i] * qx[i]) * (w_scales[r] * x_scale) for r in
  // [row_begin, row_end); w points at row 0 of a row-major [rows, k] matrix.
  // Exact int32 sums need k * 127 * 127 < 2^31, i.e. k < 133000.
  void (*gemv_rows)(const int8_t* w, const float* w_scales, const int8_t* qx, float x_scale, float* y,
                    int64_t row_begin, int64_t row_end, int64_t k);
};

}  // namespace attn::kernels
