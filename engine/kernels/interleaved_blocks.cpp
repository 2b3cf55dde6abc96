#include "engine/kernels/interleaved_blocks.h"

#include <cstring>

namespace attn::kernels {
namespace {

// Rows past `rows` in the last group stay zero: scale 0, so whatever their
// codes mean they add nothing, and their outputs are never stored.
template <class Block, class Interleaved, int kChunks>
void interleave(const void* blocks, int64_t rows, int64_t k, void* out) {
  const int64_t per_row = k / kBlockElements;
  const auto* in = static_cast<const Block*>(blocks);
  auto* groups = static_cast<Interleaved*>(out);
  std::memset(out, 0, static_cast<size_t>(interleaved_groups(rows) * per_row) * sizeof(Interleaved));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t g = r / kInterleavedRows, j = r % kInterleavedRows;
    for (int64_t b = 0; b < per_row; ++b) {
      const Block& block = in[r * per_row + b];
      Interleaved& record = groups[g * per_row + b];
      record.d[j] = block.d;
      for (int t = 0; t < kChunks; ++t) std::memcpy(record.qs + 32 * t + 4 * j, block.qs + 4 * t, 4);
    }
  }
}

}  // namespace

void interleave_q4_k(const void* blocks, int64_t rows, int64_t k, void* out) {
  const int64_t per_row = k / kSuperBlockElements;
  const auto* in = static_cast<const BlockQ4_K*>(blocks);
  auto* groups = static_cast<BlockQ4_Kx8*>(out);
  std::memset(out, 0, interleaved_q4_k_bytes(rows, k));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t g = r / kInterleavedRows, j = r % kInterleavedRows;
    for (int64_t b = 0; b < per_row; ++b) {
      const BlockQ4_K& block = in[r * per_row + b];
      BlockQ4_Kx8& record = groups[g * per_row + b];
      record.d[j] = block.d;
      record.dmin[j] = block.dmin;
      uint8_t scales[8], mins[8];
      q4_k_scales_and_mins(block.scales, scales, mins);
      for (int s = 0; s < 8; ++s) record.scales[s][j] = scales[s], record.mins[s / 2][j][s % 2] = mins[s];
      for (int chunk = 0; chunk < 32; ++chunk) std::memcpy(record.qs + 32 * chunk + 4 * j, block.qs + 4 * chunk, 4);
    }
  }
}

void interleave_q6_k(const void* blocks, int64_t rows, int64_t k, void* out) {
  const int64_t per_row = k / kSuperBlockElements;
  const auto* in = static_cast<const BlockQ6_K*>(blocks);
  auto* groups = static_cast<BlockQ6_Kx8*>(out);
  std::memset(out, 0, interleaved_q6_k_bytes(rows, k));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t g = r / kInterleavedRows, j = r % kInterleavedRows;
    for (int64_t b = 0; b < per_row; ++b) {
      const BlockQ6_K& block = in[r * per_row + b];
      BlockQ6_Kx8& record = groups[g * per_row + b];
      record.d[j] = block.d;
      for (int s = 0; s < 16; ++s) record.scales[s / 2][j][s % 2] = block.scales[s];
      for (int half = 0; half < 2; ++half) {
        for (int t = 0; t < 8; ++t) {
          std::memcpy(record.ql_a[half][t] + 4 * j, block.ql + 64 * half + 4 * t, 4);
          std::memcpy(record.ql_b[half][t] + 4 * j, block.ql + 64 * half + 32 + 4 * t, 4);
          std::memcpy(record.qh[half][t] + 4 * j, block.qh + 32 * half + 4 * t, 4);
        }
      }
    }
  }
}

void interleave_q4_0(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave<BlockQ4_0, BlockQ4_0x8, 4>(blocks, rows, k, out);
}

void interleave_q8_0(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave<BlockQ8_0, BlockQ8_0x8, 8>(blocks, rows, k, out);
}

size_t interleaved_q4_0_bytes(int64_t rows, int64_t k) {
  return static_cast<size_t>(interleaved_groups(rows) * (k / kBlockElements)) * sizeof(BlockQ4_0x8);
}

size_t interleaved_q8_0_bytes(int64_t rows, int64_t k) {
  return static_cast<size_t>(interleaved_groups(rows) * (k / kBlockElements)) * sizeof(BlockQ8_0x8);
}

size_t interleaved_q4_k_bytes(int64_t rows, int64_t k) {
  return static_cast<size_t>(interleaved_groups(rows) * (k / kSuperBlockElements)) * sizeof(BlockQ4_Kx8);
}

size_t interleaved_q6_k_bytes(int64_t rows, int64_t k) {
  return static_cast<size_t>(interleaved_groups(rows) * (k / kSuperBlockElements)) * sizeof(BlockQ6_Kx8);
}

}  // namespace attn::kernels
