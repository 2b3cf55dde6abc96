// Q4_0 and Q8_0 weights times q8_0 activation rows, in register tiles of
// kRows weight rows x kCols activation rows (block_tiles.h; included only by
// files built with AVX2 or AVX-512 flags; Dot is avx2::Avx2Dot or
// avx512::VnniDot).
//
// A tile loads each weight block once for all its activation rows and each
// activation block once for all its weight rows, so prefill unpacks a block
// once per kCols tokens instead of once per token. Every (weight row,
// activation row) pair still runs the one sequence of block_kernels.h: exact
// int32 lanes, one FMA per block into eight f32 lanes, one reduction. A
// token's result is therefore the same alone (decode) or in any tile, on any
// ISA, whatever the row split.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_tiles.h"
#include "engine/quant_blocks.h"

namespace attn::kernels::tiles {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// Q4_0's nibbles n = code + 8 multiply unsigned; 8 x the lane's activation
// sum, once per activation block, is subtracted: sum(n a) - 8 sum(a).
template <class Dot>
struct Q4_0Codes {
  using Block = BlockQ4_0;
  struct Acts {
    __m256i acts, offset;
  };
  static Acts prepare(__m256i acts) { return {acts, Dot::unsigned_dot(_mm256_set1_epi8(8), acts)}; }
  static __m256i codes(const Block& b) { return avx2::nibbles_of_32(b.qs); }
  static __m256i dot(__m256i codes, const Acts& a) { return _mm256_sub_epi32(Dot::unsigned_dot(codes, a.acts), a.offset); }
};

template <class Dot>
struct Q8_0Codes {
  using Block = BlockQ8_0;
  using Acts = typename Dot::SignedActs;
  static Acts prepare(__m256i acts) { return Dot::prepare_signed(acts); }
  static __m256i codes(const Block& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }
  static __m256i dot(__m256i codes, const Acts& a) { return Dot::signed_dot(codes, a); }
};

// The tile kernel (block_tiles.h) of the blocks of 32.
template <class Codes>
struct BlocksOf32 {
  using Block = typename Codes::Block;
  using Activation = BlockQ8_0;
  static constexpr int64_t kBlockValues = kBlockElements;

  template <int kRows, int kCols>
  static void tile(const Block* const* rows, const char* next, const BlockQ8_0* const* acts, int64_t blocks,
                   float* const* y) {
    __m256 lanes[kRows][kCols];
    for (auto& row : lanes) {
      for (auto& lane : row) lane = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < blocks; ++b) {
      typename Codes::Acts prepared[kCols];
      float dx[kCols];
      for (int c = 0; c < kCols; ++c) {
        prepared[c] = Codes::prepare(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acts[c][b].qs)));
        dx[c] = _cvtsh_ss(acts[c][b].d);
      }
      prefetch_next_group<Block, kRows>(next, b);
      for (int i = 0; i < kRows; ++i) {
        const __m256i codes = Codes::codes(rows[i][b]);
        const float dw = _cvtsh_ss(rows[i][b].d);
        for (int c = 0; c < kCols; ++c) {
          const __m256 sums = _mm256_cvtepi32_ps(Codes::dot(codes, prepared[c]));
          lanes[i][c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx[c]), sums, lanes[i][c]);
        }
      }
    }
    for (int i = 0; i < kRows; ++i) {
      for (int c = 0; c < kCols; ++c) y[c][i] = avx2::reduce_lanes(lanes[i][c]);
    }
  }
};

}  // namespace
}  // namespace attn::kernels::tiles
