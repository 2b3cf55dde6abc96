// y = (q W^T) * weight_scales for int8 activations q [rows, in] and int8
// weights W [out, in] (as stored, read as a transposed [in, out] matrix)
// through a oneDNN s8 x s8 matmul: exact int32 sums, then one f32 scale per
// output column as oneDNN's output scales. The caller applies the per-row
// activation scales and the bias afterwards: oneDNN 2.6 falls back to its
// reference int8 kernel (~400x slower here) when they are post-ops.
#pragma once

#include <cstdint>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

namespace attn {

class Int8LinearPrimitive {
 public:
  // `has_bias` is part of the cache key only; see above.
  // The signature PrimitiveCache constructs with; there is no bias here.
  Int8LinearPrimitive(int64_t rows, int64_t in_features, int64_t out_features, bool has_bias, int64_t y_stride);
  void run(dnnl::stream& stream, const int8_t* x, const int8_t* weight, const float* weight_scales, float* y);

 private:
  dnnl::matmul matmul_;
  dnnl::memory src_, weights_, weight_scales_, dst_;
  std::unordered_map<int, dnnl::memory> args_;
};

}  // namespace attn
