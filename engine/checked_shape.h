// Checked arithmetic for tensor shapes read from files.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

// Whether every dimension is >= 0 and every row-major stride (the product of
// the dimensions after it) and the element count fit in int64_t. A shape
// with a 0 somewhere holds nothing yet can still have absurd strides, e.g.
// [0, 2^62, 2^62]; loaders check this to name the file, Tensor refuses
// shapes that fail it.
bool shape_fits(const std::vector<int64_t>& shape);

}  // namespace attn
