// Numpy-style broadcasting for the interpreter's element-wise kernels.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace attn::interpreter {

// The broadcast of two shapes; throws attn::Error naming `node` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& node);

// Element strides of `shape` read as `out` (0 along broadcast dimensions).
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out);

// Calls f(output index, offsets) for every element of `out`, where
// offsets[k] is the matching element of input k.
template <size_t N, typename F>
void for_each_broadcast(const Shape& out, const std::array<std::vector<int64_t>, N>& strides, F&& f) {
  const int64_t numel = shape_numel(out);
  if (numel == 0) return;
  const int rank = static_cast<int>(out.size());
  std::array<int64_t, N> offsets{};
  if (rank == 0) {
    f(int64_t{0}, offsets);
    return;
  }
  std::vector<int64_t> index(rank, 0);
  const int64_t inner = out[rank - 1];
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][rank - 1];
  for (int64_t base = 0; base < numel; base += inner) {
    std::array<int64_t, N> at = offsets;
    for (int64_t j = 0; j < inner; ++j) {
      f(base + j, at);
      for (size_t k = 0; k < N; ++k) at[k] += inner_stride[k];
    }
    for (int d = rank - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (++index[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * out[d];
      index[d] = 0;
    }
  }
}

}  // namespace attn::interpreter
