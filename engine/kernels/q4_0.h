// Q4_0 kernels (ggml's block_q4_0 weights, engine/quant_blocks.h) times an
// activation row quantised on the fly per block of 32 as ggml's q8_0 does on
// x86: d = max|x| / 127 rounded to f16, q = round_half_even(x * 127 / max|x|).
// Each block's products are summed exactly in int32, four weights at a time
// (eight partial sums per block), and added into eight f32 lanes with one
// fused multiply-add by d_w * d_x; the lanes are reduced in one fixed order.
// The scalar and AVX2 kernels follow that same sequence, so they give
// bit-identical results, whatever the row split.
#pragma once

#include <cstdint>

namespace attn::kernels {

struct Q4_0Kernels {
  // Quantises x[0, k) (k a multiple of 32): q[i] in [-127, 127] and one
  // scale per block of 32 (as f32 holding the f16-rounded value ggml stores).
  void (*quantize_activations)(const float* x, int8_t* q, float* block_scales, int64_t k);
  // y[r] = sum over blocks of W[r, block] . q[block] * d_w * d_x, for r in
  // [row_begin, row_end); w points at row 0 of [rows, k / 32] BlockQ4_0.
  void (*gemv_rows)(const void* w, const int8_t* q, const float* block_scales, float* y, int64_t row_begin,
                    int64_t row_end, int64_t k);
};

}  // namespace attn::kernels
