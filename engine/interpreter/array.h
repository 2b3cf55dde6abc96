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

#include "engine/tensor.h"

namespace attn::interpreter {

// Numbered as onnx::TensorProto::DataType, so loaders convert by value.
enum class ElemType : int32_t {
  Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7,
  Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, BFloat16 = 16,
};

// False for ONNX types the interpreter has no arithmetic for (string, complex, ...).
bool is_known_elem_type(int32_t onnx_type);
size_t elem_size(ElemType type);
std::string_view elem_name(ElemType type);  // "float", "int64", ...
bool is_floating(ElemType type);

class Array {
 public:
  Array() = default;
  // A new zero-filled array that owns its memory.
  Array(ElemType type, Shape shape);
  // A view of memory kept alive by `owner`.
  Array(ElemType type, Shape shape, const void* data, std::shared_ptr<const void> owner);

  static Array scalar_i64(int64_t value);
  static Array from_i64s(const std::vector<int64_t>& values);  // rank 1

  ElemType type() const { return type_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * elem_size(type_); }

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
  ElemType type_ = ElemType::Float;
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
decltype(auto) visit_type(ElemType type, F&& f) {
  switch (type) {
    case ElemType::Float: return f(float{});
    case ElemType::Double: return f(double{});
    case ElemType::Float16: return f(Half{});
    case ElemType::BFloat16: return f(BFloat{});
    case ElemType::Int8: return f(int8_t{});
    case ElemType::Int16: return f(int16_t{});
    case ElemType::Int32: return f(int32_t{});
    case ElemType::Int64: return f(int64_t{});
    case ElemType::UInt8: return f(uint8_t{});
    case ElemType::UInt16: return f(uint16_t{});
    case ElemType::UInt32: return f(uint32_t{});
    case ElemType::UInt64: return f(uint64_t{});
    case ElemType::Bool: return f(bool{});
  }
  return f(float{});
}

template <typename T>
constexpr ElemType elem_type_of() {
  if constexpr (std::is_same_v<T, float>) return ElemType::Float;
  else if constexpr (std::is_same_v<T, double>) return ElemType::Double;
  else if constexpr (std::is_same_v<T, Half>) return ElemType::Float16;
  else if constexpr (std::is_same_v<T, BFloat>) return ElemType::BFloat16;
  else if constexpr (std::is_same_v<T, int8_t>) return ElemType::Int8;
  else if constexpr (std::is_same_v<T, int16_t>) return ElemType::Int16;
  else if constexpr (std::is_same_v<T, int32_t>) return ElemType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>) return ElemType::Int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return ElemType::UInt8;
  else if constexpr (std::is_same_v<T, uint16_t>) return ElemType::UInt16;
  else if constexpr (std::is_same_v<T, uint32_t>) return ElemType::UInt32;
  else if constexpr (std::is_same_v<T, uint64_t>) return ElemType::UInt64;
  else return ElemType::Bool;
}

// The arithmetic type for a storage type: 16-bit floats compute in f32.
template <typename T>
using Compute = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat>, float, T>;

template <typename T>
constexpr bool is_float_like_v = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat>;

}  // namespace attn::interpreter
