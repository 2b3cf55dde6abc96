// Array: the N-d value of the interpreter that runs imported
// (ONNX) graphs op by op. Unlike the fused graph's [rows, width] float
// activations, arrays have any rank (0 included), any element type ONNX
// graphs compute with (int64 shape arithmetic, bool masks, f16 ...) and may
// be empty. Arrays are immutable once a kernel has produced them, so views
// (reshape, initializers in a mapped file) share memory safely.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attn/error.h"
#include "engine/tensor.h"

namespace attn::interpreter {

// False for ONNX types the interpreter has no arithmetic for (string, complex, ...).
bool is_known_elem_type(int32_t onnx_type);
std::string_view elem_name(DType type);  // "float", "int64", ...
bool is_floating(DType type);

class Array {
 public:
  Array() = default;
  // A new zero-filled array that owns its memory.
  Array(DType type, Shape shape);
  // A view of memory kept alive by `owner`.
  Array(DType type, Shape shape, const void* data, std::shared_ptr<const void> owner);

  static Array scalar_i64(int64_t value);
  static Array from_i64s(const std::vector<int64_t>& values);  // rank 1

  DType type() const { return type_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(type_); }

  const void* data() const { return data_; }
  template <typename T>
  const T* as() const { return static_cast<const T*>(data_); }
  // Only for arrays a kernel has just created and not yet returned.
  template <typename T>
  T* mutable_as() { return static_cast<T*>(const_cast<void*>(data_)); }

  // The same memory with another shape of equal element count.
  Array reshaped(Shape shape) const;
  // Integer contents (int32/int64/bool/uint*) widened to int64: shapes, axes, indices.
  std::vector<int64_t> to_i64s() const;
  // Element i converted to double (any numeric type): scalars such as Clip bounds.
  double element_as_double(int64_t i) const;
  // A float engine Tensor sharing this memory (f32, f16 and bf16 only).
  Tensor to_tensor() const;

  std::string describe() const;  // "float[2, 3]"

 private:
  DType type_ = DType::F32;
  Shape shape_;
  const void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

// 16-bit float element types: convert through float, so generic kernels
// written for T work for them (compute in f32, store rounded).
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float value) : bits(f32_to_f16(value)) {}
  operator float() const { return f16_to_f32(bits); }
};
struct BFloat {
  uint16_t bits = 0;
  BFloat() = default;
  BFloat(float value) : bits(f32_to_bf16(value)) {}
  operator float() const { return bf16_to_f32(bits); }
};

// Calls f(T{}) with the C++ type of `type`.
template <typename F>
decltype(auto) visit_type(DType type, F&& f) {
  switch (type) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::F16: return f(Half{});
    case DType::BF16: return f(BFloat{});
    case DType::I8: return f(int8_t{});
    case DType::I16: return f(int16_t{});
    case DType::I32: return f(int32_t{});
    case DType::I64: return f(int64_t{});
    case DType::U8: return f(uint8_t{});
    case DType::U16: return f(uint16_t{});
    case DType::U32: return f(uint32_t{});
    case DType::U64: return f(uint64_t{});
    case DType::Bool: return f(bool{});
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K:
    case DType::IQ4_XS:
      break;  // weight storage only; no ONNX value has them
  }
  throw Error("the interpreter has no arithmetic for " + std::string(dtype_name(type)) + " values");
}

template <typename T>
constexpr DType elem_type_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, Half>) return DType::F16;
  else if constexpr (std::is_same_v<T, BFloat>) return DType::BF16;
  else if constexpr (std::is_same_v<T, int8_t>) return DType::I8;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::I16;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::U8;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::U16;
  else if constexpr (std::is_same_v<T, uint32_t>) return DType::U32;
  else if constexpr (std::is_same_v<T, uint64_t>) return DType::U64;
  else return DType::Bool;
}

// The arithmetic type for a storage type: 16-bit floats compute in f32.
template <typename T>
using Compute = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat>, float, T>;

template <typename T>
constexpr bool is_float_like_v = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat>;

}  // namespace attn::interpreter
