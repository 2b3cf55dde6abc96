// Checked arithmetic for tensor shapes read from files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace attn {

// Whether every dimension is >= 0 and every row-major stride (the product of
// the dimensions after it) and the element count fit in int64_t. A shape
// with a 0 somewhere holds nothing yet can still have absurd strides, e.g.
// [0, 2^62, 2^62]; loaders check this to name the file, Tensor refuses
// shapes that fail it.
bool shape_fits(const std::vector<int64_t>& shape);

// Bytes of a tensor of `shape` with `element_size`-byte elements; nullopt
// when the shape fails shape_fits or the byte count overflows int64_t.
std::optional<int64_t> shape_bytes(const std::vector<int64_t>& shape, size_t element_size);

}  // namespace attn
