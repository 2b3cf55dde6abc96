// y = x W^T (+ b) through a oneDNN matmul primitive: x and W in f32, or both
// in bf16 for ComputeType::BF16 (oneDNN sums the bf16 products in f32); y and
// b are f32. W stays in the
// checkpoint's [out, in] row-major layout (oneDNN reads it as a transposed
// [in, out] matrix), so f32 weights are used straight from the mapped file
// and pages stay shared between processes. y may be a column block of a
// wider matrix (row stride y_stride). Primitives are created once per shape
// and reused; each call only swaps data pointers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

namespace attn {

dnnl::engine& cpu_engine();

// Whether oneDNN multiplies bf16 natively here: its effective ISA (which
// ONEDNN_MAX_CPU_ISA caps) has AVX512_BF16 or AMX. Elsewhere its bf16
// matmul emulates the products and is slower than f32.
bool onednn_has_native_bf16();
// oneDNN's effective ISA by name, e.g. "avx512_core_bf16", for messages.
std::string onednn_isa_name();

template <dnnl::memory::data_type Input>
class MatmulPrimitive {
 public:
  // bf16 values are their 16 bits (attn's DType::BF16 storage).
  using Element = std::conditional_t<Input == dnnl::memory::data_type::f32, float, uint16_t>;
  MatmulPrimitive(int64_t rows, int64_t in_features, int64_t out_features, bool has_bias, int64_t y_stride);
  void run(dnnl::stream& stream, const Element* x, const Element* weight, const float* bias, float* y);

 private:
  dnnl::matmul matmul_;
  dnnl::memory src_, weights_, bias_, dst_;
  std::unordered_map<int, dnnl::memory> args_;
};

// Per-session cache of primitives keyed by shape.
template <typename Primitive>
class PrimitiveCache {
 public:
  Primitive& get(int64_t rows, int64_t in_features, int64_t out_features, bool has_bias, int64_t y_stride) {
    const auto key = std::make_tuple(rows, in_features, out_features, has_bias, y_stride);
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    if (primitives_.size() >= kMaxPrimitives) primitives_.clear();
    return primitives_.try_emplace(key, rows, in_features, out_features, has_bias, y_stride).first->second;
  }
  size_t size() const { return primitives_.size(); }

 private:
  // Prefill lengths vary without bound in scoring jobs; past this many
  // shapes the cache starts over rather than growing forever.
  static constexpr size_t kMaxPrimitives = 512;
  std::map<std::tuple<int64_t, int64_t, int64_t, bool, int64_t>, Primitive> primitives_;
};

using LinearPrimitive = MatmulPrimitive<dnnl::memory::data_type::f32>;
using Bf16LinearPrimitive = MatmulPrimitive<dnnl::memory::data_type::bf16>;
using LinearPrimitiveCache = PrimitiveCache<LinearPrimitive>;

}  // namespace attn
