#include "engine/kernels/interleaved_blocks.h"

#include <cstring>

namespace attn::kernels {
namespace {

// Calls place(record, block, j) for every stored block (kValues weights
// each): `record` the one of the block's group and column, j the row's lane
// in it. Rows past `rows` in
// the last group stay zero: scale 0, so whatever their codes mean they add
// nothing, and their outputs are never stored.
template <class Block, class Record, int64_t kValues, class Place>
void interleave_rows(const void* blocks, int64_t rows, int64_t k, void* out, Place place) {
  const int64_t per_row = k / kValues;
  const auto* in = static_cast<const Block*>(blocks);
  auto* groups = static_cast<Record*>(out);
  std::memset(out, 0, static_cast<size_t>(interleaved_groups(rows) * per_row) * sizeof(Record));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t g = r / kInterleavedRows;
    const int j = static_cast<int>(r % kInterleavedRows);
    for (int64_t b = 0; b < per_row; ++b) place(groups[g * per_row + b], in[r * per_row + b], j);
  }
}

// Q4_0 and Q8_0: the scale, and kChunks chunks of 4 code bytes.
template <class Block, class Record, int kChunks>
void interleave_blocks_of_32(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave_rows<Block, Record, kBlockElements>(blocks, rows, k, out, [](Record& record, const Block& block, int j) {
    record.d[j] = block.d;
    for (int t = 0; t < kChunks; ++t) std::memcpy(record.qs + 32 * t + 4 * j, block.qs + 4 * t, 4);
  });
}

}  // namespace

void interleave_q4_0(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave_blocks_of_32<BlockQ4_0, BlockQ4_0x8, 4>(blocks, rows, k, out);
}

void interleave_q8_0(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave_blocks_of_32<BlockQ8_0, BlockQ8_0x8, 8>(blocks, rows, k, out);
}

void interleave_q4_k(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave_rows<BlockQ4_K, BlockQ4_Kx8, kSuperBlockElements>(blocks, rows, k, out, [](BlockQ4_Kx8& record, const BlockQ4_K& block, int j) {
    record.d[j] = block.d;
    record.dmin[j] = block.dmin;
    uint8_t scales[8], mins[8];
    q4_k_scales_and_mins(block.scales, scales, mins);
    for (int s = 0; s < 8; ++s) record.scales[s][j] = scales[s], record.mins[s / 2][j][s % 2] = mins[s];
    for (int chunk = 0; chunk < 32; ++chunk) std::memcpy(record.qs + 32 * chunk + 4 * j, block.qs + 4 * chunk, 4);
  });
}

void interleave_q6_k(const void* blocks, int64_t rows, int64_t k, void* out) {
  interleave_rows<BlockQ6_K, BlockQ6_Kx8, kSuperBlockElements>(blocks, rows, k, out, [](BlockQ6_Kx8& record, const BlockQ6_K& block, int j) {
    record.d[j] = block.d;
    for (int s = 0; s < 16; ++s) record.scales[s / 2][j][s % 2] = block.scales[s];
    for (int half = 0; half < 2; ++half) {
      for (int t = 0; t < 8; ++t) {
        std::memcpy(record.ql_a[half][t] + 4 * j, block.ql + 64 * half + 4 * t, 4);
        std::memcpy(record.ql_b[half][t] + 4 * j, block.ql + 64 * half + 32 + 4 * t, 4);
        std::memcpy(record.qh[half][t] + 4 * j, block.qh + 32 * half + 4 * t, 4);
      }
    }
  });
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
