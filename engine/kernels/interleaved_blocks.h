// Q4_0 and Q8_0 weights as their kernels read them: eight rows interleaved
// (as llama.cpp's CPU repack does), repacked once when a Linear is built.
// In a group of eight rows, block b of all eight is one record: their f16
// scales, then their codes in 4-byte chunks, chunk t of every row side by
// side. A 32-byte load of chunk t thus puts row j's codes 4t .. 4t + 3 in
// int32 lane j, and one int8 dot product against activation bytes 4t .. 4t + 3
// broadcast to all lanes advances eight rows at once: every lane ends with
// its row's exact int32 block sum, with no horizontal reduction per row.
// A last group of fewer than eight rows is padded with zero blocks.
//
// What every ISA computes from them (the scalar kernels spell it out): per
// row, acc = fma(float(exact int32 block sum), d_w * d_x, acc) over the
// blocks in order, from acc = 0. Q4_K's block sum is that of the codes
// times the activations times each sub-block's scale, and its min term
// goes into a sum of its own, mins = fma(float(exact sum over sub-blocks of
// min times the activations' sum), dmin * d_x, mins); the result is acc - mins.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/quant_blocks.h"

namespace attn::kernels {

inline constexpr int64_t kInterleavedRows = 8;

// A q8_0 activation block as the interleaved Q4_0 and Q8_0 kernels take it:
// the f16 scale of ggml's block_q8_0 already widened (the same number), and
// the exact sum of its codes, which the SIMD kernels subtract times their
// code bias. Computed once per activation row, not once per group of
// eight weight rows, where it cost a fifth of a tile's multiplies.
struct BlockQ8_0Sum {
  float d;
  int32_t sum;
  int8_t qs[kBlockElements];
};

// Q4_0: qs bytes 4t .. 4t + 3 of row j at qs[32 t + 4 j], for t < 4 (each
// byte still holds code i in its low nibble and code i + 16 in its high one).
struct BlockQ4_0x8 {
  uint16_t d[kInterleavedRows];
  uint8_t qs[kInterleavedRows * 16];
};
static_assert(sizeof(BlockQ4_0x8) == kInterleavedRows * sizeof(BlockQ4_0));

// Q8_0: codes 4t .. 4t + 3 of row j at qs[32 t + 4 j], for t < 8.
struct BlockQ8_0x8 {
  uint16_t d[kInterleavedRows];
  int8_t qs[kInterleavedRows * 32];
};
static_assert(sizeof(BlockQ8_0x8) == kInterleavedRows * sizeof(BlockQ8_0));

// Q4_K: the super-blocks' two f16 scales, their 6-bit sub-block scales and
// mins unpacked (scales[s][j]: sub-block s of row j; mins[p][j]: row j's
// mins of sub-blocks 2p and 2p + 1), and qs bytes 32 p + 4 t .. + 3 of row j
// (codes 4t .. 4t + 3 of sub-block 2p in their low nibbles, of 2p + 1 in
// their high ones) at qs[32 (8 p + t) + 4 j], for p < 4, t < 8.
struct BlockQ4_Kx8 {
  uint16_t d[kInterleavedRows], dmin[kInterleavedRows];
  uint8_t scales[8][kInterleavedRows];
  uint8_t mins[4][kInterleavedRows][2];
  uint8_t qs[kInterleavedRows * 128];
};

// Q6_K: ggml's 4-bit ql and 2-bit qh bytes in 4-byte chunks, chunk t of row
// j at [n][t][4 j] for each half n of the super-block: ql_a holds ql bytes
// 64 n + 4 t .. + 3 (low bits of values 128 n + 4 t .. in their low
// nibbles, of 128 n + 64 + 4 t .. in their high ones), ql_b bytes
// 64 n + 32 + 4 t .. (values + 32 and + 96), qh bytes 32 n + 4 t .. (the
// four values' high bits, two each); scales[q][j] are row j's int8 scales of
// sub-blocks (of 16) 2q and 2q + 1.
struct BlockQ6_Kx8 {
  uint16_t d[kInterleavedRows];
  int8_t scales[8][kInterleavedRows][2];
  uint8_t ql_a[2][8][kInterleavedRows * 4];
  uint8_t ql_b[2][8][kInterleavedRows * 4];
  uint8_t qh[2][8][kInterleavedRows * 4];
};
static_assert(sizeof(BlockQ6_Kx8) == kInterleavedRows * sizeof(BlockQ6_K));

inline int64_t interleaved_groups(int64_t rows) { return (rows + kInterleavedRows - 1) / kInterleavedRows; }

// [rows, k] stored blocks to interleaved groups (bytes: interleaved_bytes).
void interleave_q4_0(const void* blocks, int64_t rows, int64_t k, void* out);
void interleave_q8_0(const void* blocks, int64_t rows, int64_t k, void* out);
void interleave_q4_k(const void* blocks, int64_t rows, int64_t k, void* out);
void interleave_q6_k(const void* blocks, int64_t rows, int64_t k, void* out);
size_t interleaved_q4_0_bytes(int64_t rows, int64_t k);
size_t interleaved_q8_0_bytes(int64_t rows, int64_t k);
size_t interleaved_q4_k_bytes(int64_t rows, int64_t k);
size_t interleaved_q6_k_bytes(int64_t rows, int64_t k);

// Code i (0 .. 31) of lane (row) j of a record, as the scalar kernels read it.
inline int q4_0x8_code(const BlockQ4_0x8& b, int j, int i) {
  const uint8_t byte = b.qs[32 * (i % 16 / 4) + 4 * j + i % 4];
  return (i < 16 ? byte & 15 : byte >> 4) - 8;
}
inline int q8_0x8_code(const BlockQ8_0x8& b, int j, int i) { return b.qs[32 * (i / 4) + 4 * j + i % 4]; }
// Code i (0 .. 255, unsigned) of lane j of a Q4_K record.
inline int q4_kx8_code(const BlockQ4_Kx8& b, int j, int i) {
  const int sub_block = i / 32, value = i % 32;
  const uint8_t byte = b.qs[32 * (8 * (sub_block / 2) + value / 4) + 4 * j + value % 4];
  return sub_block % 2 ? byte >> 4 : byte & 15;
}
// Code i (0 .. 255, unsigned 6-bit: the value is code - 32) of lane j of a Q6_K record.
inline int q6_kx8_code(const BlockQ6_Kx8& b, int j, int i) {
  const int half = i / 128, quarter = i % 128 / 32, t = i % 32 / 4, at = 4 * j + i % 4;
  const uint8_t low = (quarter % 2 ? b.ql_b : b.ql_a)[half][t][at];
  return (quarter < 2 ? low & 15 : low >> 4) | ((b.qh[half][t][at] >> (2 * quarter)) & 3) << 4;
}

}  // namespace attn::kernels
