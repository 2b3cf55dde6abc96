// Tensor: a typed, shaped view of memory that may be owned, shared, or
// memory-mapped. Weights are stored as f32, f16, bf16, int8 with one f32
// scale per row (value = int8 * row scale) or Q4_0 blocks along each row;
// compute is f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attn/dtype.h"

namespace attn {

using Shape = std::vector<int64_t>;
std::string shape_to_string(const Shape& shape);  // "[64, 512]"
int64_t shape_numel(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // A contiguous row-major view of `data`; `owner` keeps the memory alive
  // (a mapped file, a vector, or nullptr for memory owned elsewhere).
  Tensor(DType dtype, Shape shape, const void* data, std::shared_ptr<const void> owner = nullptr);

  // A new zero-filled tensor that owns its memory.
  static Tensor zeros(DType dtype, Shape shape);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }  // in elements
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int axis) const;  // negative axes count from the end
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const;
  bool empty() const { return data_ == nullptr; }
  // What keeps the memory alive, for views of the same bytes as another type.
  const std::shared_ptr<const void>& owner() const { return owner_; }

  const void* data() const { return data_; }
  template <typename T>
  const T* data_as() const { return static_cast<const T*>(data_); }
  // Writable access; only valid for tensors created by zeros() or from
  // memory the caller owns.
  template <typename T>
  T* mutable_data_as() { return static_cast<T*>(const_cast<void*>(data_)); }

  // The same values as f32: `*this` when already f32, else a converted copy
  // (int8 tensors dequantized with their row scales).
  Tensor to_f32() const;

  // Rows [first, first + count) along axis 0: a view of the same memory (no
  // copy), with the matching row scales for int8. Fused checkpoint tensors
  // (Phi-3's qkv_proj, GPT-2's c_attn) become separate Linear weights this way.
  Tensor slice_rows(int64_t first, int64_t count) const;
  // A 2-D tensor transposed, as an f32 copy [dim(1), dim(0)] (GPT-2's Conv1D
  // stores [in, out] where Linear reads [out, in]).
  Tensor transposed_f32() const;

  // Int8 tensors carry their per-row scales: an f32 tensor [dim(0)].
  Tensor with_row_scales(Tensor scales) const;
  const Tensor* row_scales() const { return row_scales_.get(); }
  // Bytes of the values plus their scales.
  size_t nbytes_with_scales() const { return nbytes() + (row_scales_ ? row_scales_->nbytes() : 0); }

 private:
  DType dtype_ = DType::F32;
  Shape shape_;
  Shape strides_;
  const void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
  std::shared_ptr<const Tensor> row_scales_;
};

// Scalar conversions used by loaders and kernels' fallbacks.
float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);   // round to nearest even
uint16_t f32_to_bf16(float value);  // round to nearest even

}  // namespace attn
