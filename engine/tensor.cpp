#include "engine/tensor.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "attn/error.h"
#include "engine/checked_shape.h"
#include "engine/quant_blocks.h"

namespace attn {

std::string shape_to_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

int64_t shape_numel(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

bool shape_fits(const std::vector<int64_t>& shape) {
  int64_t stride = 1;
  for (auto dim = shape.rbegin(); dim != shape.rend(); ++dim) {
    // The stride of the dimension before this one; a zero dimension makes
    // the element count 0 but not the strides of the dimensions before it.
    if (*dim < 0 || __builtin_mul_overflow(stride, std::max<int64_t>(*dim, 1), &stride)) return false;
  }
  return true;
}

std::optional<int64_t> shape_bytes(const std::vector<int64_t>& shape, size_t element_size) {
  int64_t bytes = 0;
  if (!shape_fits(shape) || __builtin_mul_overflow(shape_numel(shape), static_cast<int64_t>(element_size), &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

Tensor::Tensor(DType dtype, Shape shape, const void* data, std::shared_ptr<const void> owner)
    : dtype_(dtype), shape_(std::move(shape)), data_(data), owner_(std::move(owner)) {
  if (!shape_fits(shape_)) {
    throw Error("tensor shape " + shape_to_string(shape_) + " has a negative dimension or more than 2^63 elements");
  }
  if (dtype_block_elements(dtype_) > 1 && (shape_.empty() || shape_.back() % dtype_block_elements(dtype_) != 0)) {
    throw std::logic_error("Tensor: a " + std::string(dtype_name(dtype_)) + " tensor's last dimension must be a multiple of " +
                           std::to_string(dtype_block_elements(dtype_)) + ", got " + shape_to_string(shape_));
  }
  strides_.resize(shape_.size());
  int64_t stride = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    strides_[i] = stride;
    stride *= shape_[i];
  }
}

size_t Tensor::nbytes() const { return dtype_row_bytes(dtype_, numel()); }

Tensor Tensor::zeros(DType dtype, Shape shape) {
  size_t bytes = 0;
  if (!shape_fits(shape) || __builtin_mul_overflow(static_cast<size_t>(shape_numel(shape) / dtype_block_elements(dtype)),
                                                   dtype_block_bytes(dtype), &bytes)) {
    throw Error("tensor shape " + shape_to_string(shape) + " is too large to allocate");
  }
  // Over-allocate to a 64-byte multiple so SIMD tails and oneDNN never read past the end.
  auto storage = std::shared_ptr<std::byte[]>(new (std::align_val_t{64}) std::byte[bytes + 64]{},
                                              [](std::byte* p) { operator delete[](p, std::align_val_t{64}); });
  const void* data = storage.get();
  return Tensor(dtype, std::move(shape), data, std::shared_ptr<const void>(storage, data));
}

int64_t Tensor::dim(int axis) const {
  if (axis < 0) axis += rank();
  if (axis < 0 || axis >= rank()) throw std::out_of_range("Tensor::dim: axis out of range");
  return shape_[axis];
}

Tensor Tensor::to_f32() const {
  if (dtype_ == DType::F32) return *this;
  Tensor out = zeros(DType::F32, shape_);
  float* dst = out.mutable_data_as<float>();
  const int64_t n = numel();
  switch (dtype_) {
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(data_as<uint16_t>()[i]);
      break;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(data_as<uint16_t>()[i]);
      break;
    case DType::I32:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(data_as<int32_t>()[i]);
      break;
    case DType::I64:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(data_as<int64_t>()[i]);
      break;
    case DType::I8:
      if (!row_scales_) throw std::logic_error("Tensor::to_f32: int8 tensor without row scales");
      for (int64_t r = 0, width = numel() / dim(0); r < dim(0); ++r) {
        const float scale = row_scales_->data_as<float>()[r];
        for (int64_t i = r * width; i < (r + 1) * width; ++i) dst[i] = data_as<int8_t>()[i] * scale;
      }
      break;
    case DType::Q4_0:
    case DType::Q8_0:
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K:
    case DType::IQ4_XS:
      dequantize_blocks(dtype_, data_, dst, n);
      break;
    case DType::F32:
      break;
    default:
      throw std::logic_error("Tensor::to_f32: no conversion from " + std::string(dtype_name(dtype_)));
  }
  return out;
}

Tensor Tensor::slice_rows(int64_t first, int64_t count) const {
  if (rank() < 1 || first < 0 || count < 0 || first + count > dim(0)) {
    throw std::logic_error("Tensor::slice_rows: rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                           ") outside " + shape_to_string(shape_));
  }
  Shape shape = shape_;
  shape[0] = count;
  const int64_t row_elements = rank() == 1 ? 1 : strides_[0];
  const auto* bytes = static_cast<const std::byte*>(data_) + first * dtype_row_bytes(dtype_, row_elements);
  Tensor out(dtype_, std::move(shape), bytes, owner_);
  if (row_scales_) out.row_scales_ = std::make_shared<const Tensor>(row_scales_->slice_rows(first, count));
  return out;
}

Tensor Tensor::transposed_f32() const {
  if (rank() != 2) throw std::logic_error("Tensor::transposed_f32: needs a 2-D tensor, got " + shape_to_string(shape_));
  const Tensor source = to_f32();
  const int64_t rows = dim(0), cols = dim(1);
  Tensor out = zeros(DType::F32, {cols, rows});
  float* dst = out.mutable_data_as<float>();
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t r = 0; r < rows; ++r) dst[c * rows + r] = source.data_as<float>()[r * cols + c];
  }
  return out;
}

Tensor Tensor::with_row_scales(Tensor scales) const {
  if (dtype_ != DType::I8 || rank() < 1 || scales.dtype() != DType::F32 || scales.shape() != Shape{dim(0)}) {
    throw std::logic_error("Tensor::with_row_scales: needs an int8 tensor and f32 scales [rows]");
  }
  Tensor out = *this;
  out.row_scales_ = std::make_shared<const Tensor>(std::move(scales));
  return out;
}

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t f32_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      mantissa &= 0x3ffu;
      bits = sign | (exponent << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t f32_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;  // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // overflow (incl. inf) after rounding
  if (abs < 0x38800000u) {  // subnormal or zero in f16
    if (abs < 0x33000000u) return sign;
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 113 - static_cast<int>(abs >> 23) + 13;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t rounded = abs - 0x38000000u;  // rebias exponent 127 -> 15
  rounded += 0xfffu + ((rounded >> 13) & 1u);
  return sign | static_cast<uint16_t>(rounded >> 13);
}

}  // namespace attn
