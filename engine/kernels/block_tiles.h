// The drivers of the register-tile kernels (interleaved_tiles.h,
// k_quant_tiles.h): weight rows in groups of kRows against activation rows
// in groups of kCols, the narrower remainders taking smaller tiles of the
// same kernel. A Kernel names its weight Block, its Activation block,
// kBlockValues (the values per weight block) and tile<kRows, kCols>(rows,
// next, acts, blocks, y), which sets y[c][i] to weight row i . activation
// row c and fetches the bytes at `next` (the following group of rows)
// meanwhile. A Kernel over interleaved rows (interleaved_blocks.h) names
// kInterleavedRows too: its Block is a record of that many rows, its tile's
// kRows counts such groups, and it sets y[c][i] to lane i of the tile's
// rows, of which the driver stores those in the requested range.
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
// fetched meanwhile, in kSlices even slices of its lines (slice 0 ..
// kSlices - 1, each fetched once per block). Kernels with large blocks
// spread the slices between their steps: a burst of a whole Q6_K group's
// 27 lines fills the core's miss buffers and stalls it (9 GB/s against 13
// spread, on Zen 2).
template <class Block, int kRows, int kSlices = 1>
void prefetch_next_group(const char* next, int64_t b, int slice = 0) {
  constexpr int64_t kGroupBytes = kRows * static_cast<int64_t>(sizeof(Block));
  constexpr int64_t kLines = (kGroupBytes + 63) / 64;
  const char* block = next + b * kGroupBytes;
  for (int64_t line = kLines * slice / kSlices; line < kLines * (slice + 1) / kSlices; ++line) {
    _mm_prefetch(block + 64 * line, _MM_HINT_T0);
  }
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

template <class Kernel>
concept InterleavedKernel = requires { Kernel::kInterleavedRows; };

// The groups of interleaved rows that [row_begin, row_end) touches, kGroups
// at a time, against kCols activation rows; a group only partly in the
// range is computed whole and stored in part.
template <class Kernel, int kGroups, int kCols>
void groups_against(const typename Kernel::Block* weights, const typename Kernel::Activation* const* acts,
                    float* const* y, int64_t row_begin, int64_t row_end, int64_t blocks) {
  using Block = typename Kernel::Block;
  constexpr int64_t kGroupRows = Kernel::kInterleavedRows;
  const int64_t group_end = (row_end + kGroupRows - 1) / kGroupRows;
  const auto store = [&](int64_t first_group, int groups, const float (*lanes)[kGroupRows], int c) {
    for (int64_t i = 0; i < groups * kGroupRows; ++i) {
      const int64_t r = first_group * kGroupRows + i;
      if (r >= row_begin && r < row_end) y[c][r] = lanes[i / kGroupRows][i % kGroupRows];
    }
  };
  int64_t g = row_begin / kGroupRows;
  for (; g + kGroups <= group_end; g += kGroups) {
    const Block* groups[kGroups];
    for (int i = 0; i < kGroups; ++i) groups[i] = weights + (g + i) * blocks;
    float lanes[kCols][kGroups][kGroupRows];
    float* out[kCols];
    for (int c = 0; c < kCols; ++c) out[c] = &lanes[c][0][0];
    Kernel::template tile<kGroups, kCols>(groups, reinterpret_cast<const char*>(weights + (g + kGroups) * blocks), acts,
                                          blocks, out);
    for (int c = 0; c < kCols; ++c) store(g, kGroups, lanes[c], c);
  }
  for (; g < group_end; ++g) {
    const Block* group = weights + g * blocks;
    float lanes[kCols][1][kGroupRows];
    float* out[kCols];
    for (int c = 0; c < kCols; ++c) out[c] = &lanes[c][0][0];
    Kernel::template tile<1, kCols>(&group, reinterpret_cast<const char*>(group + blocks), acts, blocks, out);
    for (int c = 0; c < kCols; ++c) store(g, 1, lanes[c], c);
  }
}

// The last, narrower group of activation rows takes the widest tile it fills.
template <class Kernel, int kRows, int kCols>
void columns(const typename Kernel::Block* weights, const typename Kernel::Activation* const* acts, float* const* y, int cols,
             int64_t row_begin, int64_t row_end, int64_t blocks) {
  if constexpr (kCols > 1) {
    if (cols < kCols) return columns<Kernel, kRows, kCols - 1>(weights, acts, y, cols, row_begin, row_end, blocks);
  }
  if constexpr (InterleavedKernel<Kernel>) {
    groups_against<Kernel, kRows, kCols>(weights, acts, y, row_begin, row_end, blocks);
  } else {
    rows_against<Kernel, kRows, kCols>(weights, acts, y, row_begin, row_end, blocks);
  }
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
  gemm_rows<Kernel, kRows, 1>(w, x, 1, y, 0, row_begin, row_end, k);
}

}  // namespace
}  // namespace attn::kernels::tiles
