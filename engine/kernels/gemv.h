// Matrix-vector products for decoding one token: y[r] = W[r, :] . x for a
// row-major W [rows, K] in its stored dtype. Decoding is bound by streaming
// W from memory once per token, so the kernels read each weight exactly
// once, convert 16-bit weights in registers, and let callers split the rows
// across threads. Every output is computed by one fixed sequence of
// instructions, so results do not depend on how rows are split.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace attn::kernels {

// Computes y[r] for r in [row_begin, row_end); W points at row 0.
using GemvRows = void (*)(const void* weights, const float* x, float* y, int64_t row_begin, int64_t row_end,
                          int64_t k);

struct GemvKernels {
  GemvRows f32, f16, bf16;
  GemvRows for_dtype(DType dtype) const;  // nullptr for non-float dtypes
};

}  // namespace attn::kernels
