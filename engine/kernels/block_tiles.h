// The drivers of the register-tile kernels (q8_0_tiles.h, k_quant_tiles.h):
// weight rows in groups of kRows against activation rows in groups of kCols,
// the narrower remainders taking smaller tiles of the same kernel. A
// Kernel names its weight Block, its Activation block, kBlockValues (the
// values per weight block) and tile<kRows, kCols>(rows, next, acts, blocks,
// y), which sets y[c][i] to weight row i . activation row c and fetches the
// bytes at `next` (the following group of rows) meanwhile.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace attn::kernels::tiles {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// A tile reads kRows rows side by side, too short a stream each for the
// hardware prefetchers: block b of the next group of rows (at `next`) is
// fetched meanwhile.
template <class Block, int kRows>
void prefetch_next_group(const char* next, int64_t b) {
  constexpr int64_t kGroupBytes = kRows * static_cast<int64_t>(sizeof(Block));
  for (int64_t line = 0; line < kGroupBytes; line += 64) _mm_prefetch(next + b * kGroupBytes + line, _MM_HINT_T0);
}

// Weight rows [row_begin, row_end) against kCols activation rows.
template <class Kernel, int kRows, int kCols>
void rows_against(const typename Kernel::Block* weights, const typename Kernel::Activation* const* acts, float* const* y, int64_t row_begin,
                  int64_t row_end, int64_t blocks) {
  using Block = typename Kernel::Block;
  float* out[kCols];
  int64_t r = row_begin;
  for (; r + kRows <= row_end; r += kRows) {
    const Block* rows[kRows];
    for (int i = 0; i < kRows; ++i) rows[i] = weights + (r + i) * blocks;
    for (int c = 0; c < kCols; ++c) out[c] = y[c] + r;
    Kernel::template tile<kRows, kCols>(rows, reinterpret_cast<const char*>(weights + (r + kRows) * blocks), acts, blocks, out);
  }
  for (; r < row_end; ++r) {
    const Block* row = weights + r * blocks;
    for (int c = 0; c < kCols; ++c) out[c] = y[c] + r;
    Kernel::template tile<1, kCols>(&row, reinterpret_cast<const char*>(row + blocks), acts, blocks, out);
  }
}

// The last, narrower group of activation rows takes the widest tile it fills.
template <class Kernel, int kRows, int kCols>
void columns(const typename Kernel::Block* weights, const typename Kernel::Activation* const* acts, float* const* y, int cols,
             int64_t row_begin, int64_t row_end, int64_t blocks) {
  if constexpr (kCols > 1) {
    if (cols < kCols) return columns<Kernel, kRows, kCols - 1>(weights, acts, y, cols, row_begin, row_end, blocks);
  }
  rows_against<Kernel, kRows, kCols>(weights, acts, y, row_begin, row_end, blocks);
}

// BlockGemv::gemm_rows: x_rows activation rows back to back, output row
// c at y + c * y_stride.
template <class Kernel, int kRows, int kCols>
void gemm_rows(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
               int64_t row_end, int64_t k) {
  const int64_t blocks = k / Kernel::kBlockValues;
  const auto* weights = static_cast<const typename Kernel::Block*>(w);
  const auto* activations = static_cast<const typename Kernel::Activation*>(x);
  for (int64_t first = 0; first < x_rows; first += kCols) {
    const int cols = static_cast<int>(std::min<int64_t>(kCols, x_rows - first));
    const typename Kernel::Activation* acts[kCols];
    float* out[kCols];
    for (int c = 0; c < cols; ++c) {
      acts[c] = activations + (first + c) * blocks;
      out[c] = y + (first + c) * y_stride;
    }
    columns<Kernel, kRows, kCols>(weights, acts, out, cols, row_begin, row_end, blocks);
  }
}

// BlockGemv::gemv_rows: one activation row.
template <class Kernel, int kRows>
void gemv_rows(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / Kernel::kBlockValues;
  const typename Kernel::Activation* acts[1] = {static_cast<const typename Kernel::Activation*>(x)};
  float* out[1] = {y};
  rows_against<Kernel, kRows, 1>(static_cast<const typename Kernel::Block*>(w), acts, out, row_begin, row_end, blocks);
}

}  // namespace
}  // namespace attn::kernels::tiles
