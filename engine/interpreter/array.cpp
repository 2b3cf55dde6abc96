#include "engine/interpreter/array.h"

#include <cstring>

#include "attn/error.h"

namespace attn::interpreter {

bool is_known_elem_type(int32_t onnx_type) {
  switch (onnx_type) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 9: case 10: case 11: case 12: case 13: case 16:
      return true;
    default:
      return false;
  }
}

std::string_view elem_name(DType type) {
  switch (type) {
    case DType::F32: return "float";
    case DType::F64: return "double";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    case DType::I8: return "int8";
    case DType::I16: return "int16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::U8: return "uint8";
    case DType::U16: return "uint16";
    case DType::U32: return "uint32";
    case DType::U64: return "uint64";
    case DType::Bool: return "bool";
    case DType::Q4_0: break;  // weight storage only; no ONNX value has it
  }
  return "?";
}

bool is_floating(DType type) {
  return type == DType::F32 || type == DType::F64 || type == DType::F16 ||
         type == DType::BF16;
}

Array::Array(DType type, Shape shape) : type_(type), shape_(std::move(shape)) {
  for (int64_t d : shape_) {
    if (d < 0) throw Error("negative dimension in shape " + shape_to_string(shape_));
  }
  // 64-byte aligned and padded, as Tensor::zeros, so oneDNN and SIMD code may use it.
  const size_t bytes = nbytes();
  auto storage = std::shared_ptr<std::byte[]>(new (std::align_val_t{64}) std::byte[bytes + 64]{},
                                              [](std::byte* p) { operator delete[](p, std::align_val_t{64}); });
  data_ = storage.get();
  owner_ = std::move(storage);
}

Array::Array(DType type, Shape shape, const void* data, std::shared_ptr<const void> owner)
    : type_(type), shape_(std::move(shape)), data_(data), owner_(std::move(owner)) {}

Array Array::scalar_i64(int64_t value) {
  Array a(DType::I64, {});
  *a.mutable_as<int64_t>() = value;
  return a;
}

Array Array::from_i64s(const std::vector<int64_t>& values) {
  Array a(DType::I64, {static_cast<int64_t>(values.size())});
  std::memcpy(a.mutable_as<int64_t>(), values.data(), values.size() * sizeof(int64_t));
  return a;
}

Array Array::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel()) {
    throw Error("cannot reshape " + describe() + " to " + shape_to_string(shape));
  }
  return Array(type_, std::move(shape), data_, owner_);
}

std::vector<int64_t> Array::to_i64s() const {
  if (is_floating(type_)) throw Error("expected an integer tensor, got " + describe());
  std::vector<int64_t> values(static_cast<size_t>(numel()));
  visit_type(type_, [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int64_t>(as<T>()[i]);
  });
  return values;
}

double Array::element_as_double(int64_t i) const {
  return visit_type(type_, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_float_like_v<T>) {
      return static_cast<double>(static_cast<float>(as<T>()[i]));
    } else {
      return static_cast<double>(as<T>()[i]);
    }
  });
}

Tensor Array::to_tensor() const {
  if (type_ != DType::F32 && type_ != DType::F16 && type_ != DType::BF16) {
    throw Error("expected a float tensor, got " + describe());
  }
  return Tensor(type_, shape_, data_, owner_);
}

std::string Array::describe() const { return std::string(elem_name(type_)) + shape_to_string(shape_); }

}  // namespace attn::interpreter
