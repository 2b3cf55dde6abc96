// Pooling of one sequence's token states into a sentence vector, and L2
// normalisation, as sentence-transformers' Pooling and Normalize modules do.
#pragma once

#include <cstdint>

#include "attn/embed.h"

namespace attn {

// rows: [count, width] row-major, count >= 1; out: width floats.
void pool_rows(Pooling pooling, const float* rows, int64_t count, int64_t width, float* out);

// x / max(|x|, 1e-12), like torch.nn.functional.normalize.
void l2_normalize(float* x, int64_t n);

}  // namespace attn
