// Interleaved Q4_0 and Q8_0 groups (interleaved_blocks.h) times q8_0
// activation rows (BlockQ8_0Sum), and Q4_K and Q6_K groups times q8_K ones, in register tiles of kGroups groups of eight weight rows
// x kCols activation rows (the drivers of block_tiles.h; included only by
// files built with AVX2 or AVX-512 flags; Dot is avx2::Avx2Dots or
// avx512::VnniDots).
//
// Int32 lane j of a dot product is row j's exact block sum, so each block
// costs eight rows one conversion and one fma, and no row is ever reduced
// across lanes. A tile unpacks a group's block once for all its activation
// rows and takes an activation block's scale and sum (BlockQ8_0Sum) once for
// all its groups; its bytes are broadcast from memory as they are used (a
// load, no ALU work). Every
// (row, activation row) pair runs interleaved_blocks.h's sequence, so a
// token's result is the same alone (decode) or in any tile, on any ISA,
// whatever the row split.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "engine/kernels/block_avx2.h"
#include "engine/kernels/block_tiles.h"
#include "engine/kernels/interleaved_blocks.h"
#include "engine/quant_blocks.h"

namespace attn::kernels::tiles {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// Q4_0: nibbles n = code + 8 multiply unsigned, chunk t's low nibbles
// (codes 4t ..) against activation quad t and its high ones (codes 16 + 4t ..)
// against quad 4 + t; the kernel subtracts 8 x the activations' sum.
template <class Dot>
struct Q4_0Groups {
  using Block = BlockQ4_0x8;
  static constexpr int kCodeBias = 8;
  static void unpack(const Block& b, __m256i* codes) {
    for (int t = 0; t < 4; ++t) {
      const __m256i chunk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * t));
      codes[t] = _mm256_and_si256(chunk, _mm256_set1_epi8(15));
      codes[4 + t] = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), _mm256_set1_epi8(15));
    }
  }
  static __m256i dot(const __m256i* codes, const int8_t* x) { return Dot::nibble_dot(codes, x); }
};

template <class Dot>
struct Q8_0Groups {
  using Block = BlockQ8_0x8;
  static constexpr int kCodeBias = Dot::kSignedBias;
  static void unpack(const Block& b, __m256i* codes) {
    for (int t = 0; t < 8; ++t) codes[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * t));
    Dot::bias_signed(codes);
  }
  static __m256i dot(const __m256i* codes, const int8_t* x) { return Dot::signed_dot(codes, x); }
};

// Interleaved Q4_K groups times q8_K activation rows. Each pair of
// sub-blocks is unpacked once (low nibbles: sub-block 2p, high: 2p + 1) for
// all activation rows; the exact int32 sums of scale x code x activation
// and of min x activation sum give each row's two fma per super-block.
template <class Dot>
struct Q4_KGroups {
  using Block = BlockQ4_Kx8;
  using Activation = BlockQ8_K;
  static constexpr int64_t kBlockValues = kSuperBlockElements;
  static constexpr int64_t kInterleavedRows = kernels::kInterleavedRows;

  // Lane-wide int16 pairs (activation sum of sub-block 2p, of 2p + 1), to
  // multiply-add with the rows' (min 2p, min 2p + 1).
  static void activation_sum_pairs(const BlockQ8_K& x, __m256i pairs[4]) {
    for (int p = 0; p < 4; ++p) {
      const auto low = static_cast<uint16_t>(x.bsums[4 * p] + x.bsums[4 * p + 1]);
      const auto high = static_cast<uint16_t>(x.bsums[4 * p + 2] + x.bsums[4 * p + 3]);
      pairs[p] = _mm256_set1_epi32(static_cast<int32_t>(low | static_cast<uint32_t>(high) << 16));
    }
  }

  template <int kGroups, int kCols>
  static void tile(const Block* const* groups, const char* next, const BlockQ8_K* const* acts, int64_t blocks,
                   float* const* y) {
    __m256 sums[kGroups][kCols], mins[kGroups][kCols];
    for (int g = 0; g < kGroups; ++g) {
      for (int c = 0; c < kCols; ++c) sums[g][c] = mins[g][c] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < blocks; ++b) {
      for (int g = 0; g < kGroups; ++g) {
        const Block& w = groups[g][b];
        __m256i products[kCols];
        for (int c = 0; c < kCols; ++c) products[c] = _mm256_setzero_si256();
        for (int p = 0; p < 4; ++p) {
          // A slice of the prefetch before each pair of sub-blocks (block_tiles.h).
          prefetch_next_group<Block, kGroups, 4 * kGroups>(next, b, 4 * g + p);
          typename Dot::SubBlockSum low[kCols], high[kCols];
          for (int c = 0; c < kCols; ++c) low[c] = high[c] = _mm256_setzero_si256();
          for (int t = 0; t < 8; ++t) {
            const __m256i chunk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qs + 32 * (8 * p + t)));
            const __m256i low_codes = _mm256_and_si256(chunk, _mm256_set1_epi8(15));
            const __m256i high_codes = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), _mm256_set1_epi8(15));
            for (int c = 0; c < kCols; ++c) {
              const int8_t* x = acts[c][b].qs + 64 * p + 4 * t;
              low[c] = Dot::add_chunk(low[c], low_codes, avx2::broadcast_quad(x));
              high[c] = Dot::add_chunk(high[c], high_codes, avx2::broadcast_quad(x + 32));
            }
          }
          const __m256i low_scales = Dot::sub_block_scales(w.scales[2 * p]);
          const __m256i high_scales = Dot::sub_block_scales(w.scales[2 * p + 1]);
          for (int c = 0; c < kCols; ++c) {
            products[c] = _mm256_add_epi32(products[c], Dot::scaled(low[c], low_scales));
            products[c] = _mm256_add_epi32(products[c], Dot::scaled(high[c], high_scales));
          }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.d)));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.dmin)));
        for (int c = 0; c < kCols; ++c) {
          // Made here, not kept from the block's start: AVX2 has registers
          // for the sums only.
          __m256i sum_pairs[4];
          activation_sum_pairs(acts[c][b], sum_pairs);
          __m256i min_products = _mm256_setzero_si256();
          for (int p = 0; p < 4; ++p) {
            const __m256i row_mins = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.mins[p])));
            min_products = _mm256_add_epi32(min_products, _mm256_madd_epi16(row_mins, sum_pairs[p]));
          }
          const __m256 dx = _mm256_set1_ps(acts[c][b].d);
          sums[g][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(products[c]), _mm256_mul_ps(d, dx), sums[g][c]);
          mins[g][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_products), _mm256_mul_ps(dmin, dx), mins[g][c]);
        }
      }
    }
    for (int g = 0; g < kGroups; ++g) {
      for (int c = 0; c < kCols; ++c) _mm256_storeu_ps(y[c] + g * kInterleavedRows, _mm256_sub_ps(sums[g][c], mins[g][c]));
    }
  }
};

// Interleaved Q6_K groups times q8_K activation rows. Each half
// super-block's chunks unpack into four vectors of unsigned 6-bit codes
// (c = value + 32) once for all activation rows; per row, the exact int32
// sum of scale x c x activation, less 32 x the sum of scale x activation
// sum (q8_K's bsums), gives one fma per super-block.
template <class Dot>
struct Q6_KGroups {
  using Block = BlockQ6_Kx8;
  using Activation = BlockQ8_K;
  static constexpr int64_t kBlockValues = kSuperBlockElements;
  static constexpr int64_t kInterleavedRows = kernels::kInterleavedRows;

  // Lane-wide int16 pairs (bsums 2q, 2q + 1), to multiply-add with the
  // rows' scale pairs.
  static void bsum_pairs(const BlockQ8_K& x, __m256i pairs[8]) {
    for (int q = 0; q < 8; ++q) {
      const auto low = static_cast<uint16_t>(x.bsums[2 * q]), high = static_cast<uint16_t>(x.bsums[2 * q + 1]);
      pairs[q] = _mm256_set1_epi32(static_cast<int32_t>(low | static_cast<uint32_t>(high) << 16));
    }
  }

  // Chunk t of quarter k of half n: the codes of values 128 n + 32 k + 4 t
  // .. + 3 of the eight rows. Unpacked as they are used, each from its two
  // loads (L1-resident), so a tile keeps four code vectors live, not
  // sixteen: AVX2 has sixteen vector registers, and the spills cost more
  // than the repeated loads.
  template <int k>
  static __m256i quarter_codes(const Block& w, int n, int t) {
    const __m256i low_mask = _mm256_set1_epi8(15), high_mask = _mm256_set1_epi8(0x30);
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k % 2 ? w.ql_b[n][t] : w.ql_a[n][t]));
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qh[n][t]));
    // Bits 2k and 2k + 1 of the qh byte moved to bits 4 and 5 (16-bit
    // shifts: what crosses into the neighbouring byte is masked off).
    const __m256i high_bits = k < 2 ? _mm256_slli_epi16(h, 4 - 2 * k) : k == 2 ? h : _mm256_srli_epi16(h, 2);
    const __m256i low_bits = k < 2 ? low : _mm256_srli_epi16(low, 4);
    return _mm256_or_si256(_mm256_and_si256(low_bits, low_mask), _mm256_and_si256(high_bits, high_mask));
  }

  // Quarter k of half n: sub-blocks (of 16) 8 n + 2 k and + 1, chunks 0-3
  // and 4-7, against every activation row. Each half fetches its slice of
  // the next group's block b (block_tiles.h): sixteen slices of at most two
  // lines per group, `slice` and slice + 1 here.
  template <int k, int kGroups, int kCols>
  static void quarter(const Block& w, int n, const BlockQ8_K* const* acts, int64_t b, __m256i* products,
                      const char* next, int slice) {
    const __m256i pair = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.scales[4 * n + k])));
    for (int u = 0; u < 2; ++u) {
      prefetch_next_group<Block, kGroups, 16 * kGroups>(next, b, slice + u);
      __m256i codes[4];
      for (int t = 0; t < 4; ++t) codes[t] = quarter_codes<k>(w, n, 4 * u + t);
      const __m256i scales = Dot::sixteen_scales(pair, u);
      for (int c = 0; c < kCols; ++c) {
        const int8_t* x = acts[c][b].qs + 128 * n + 32 * k + 16 * u;
        products[c] = _mm256_add_epi32(products[c], Dot::scaled_sixteen(codes, x, scales));
      }
    }
  }

  template <int kGroups, int kCols>
  static void tile(const Block* const* groups, const char* next, const BlockQ8_K* const* acts, int64_t blocks,
                   float* const* y) {
    __m256 sums[kGroups][kCols];
    for (auto& group : sums) {
      for (auto& lane : group) lane = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < blocks; ++b) {
      for (int g = 0; g < kGroups; ++g) {
        const Block& w = groups[g][b];
        __m256i products[kCols];
        for (int c = 0; c < kCols; ++c) products[c] = _mm256_setzero_si256();
        for (int n = 0; n < 2; ++n) {
          quarter<0, kGroups, kCols>(w, n, acts, b, products, next, 16 * g + 8 * n + 0);
          quarter<1, kGroups, kCols>(w, n, acts, b, products, next, 16 * g + 8 * n + 2);
          quarter<2, kGroups, kCols>(w, n, acts, b, products, next, 16 * g + 8 * n + 4);
          quarter<3, kGroups, kCols>(w, n, acts, b, products, next, 16 * g + 8 * n + 6);
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.d)));
        for (int c = 0; c < kCols; ++c) {
          __m256i pairs[8];
          bsum_pairs(acts[c][b], pairs);
          __m256i offsets = _mm256_setzero_si256();
          for (int q = 0; q < 8; ++q) {
            const __m256i scale_pairs = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.scales[q])));
            offsets = _mm256_add_epi32(offsets, _mm256_madd_epi16(scale_pairs, pairs[q]));
          }
          const __m256i exact = _mm256_sub_epi32(products[c], _mm256_slli_epi32(offsets, 5));
          sums[g][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(d, _mm256_set1_ps(acts[c][b].d)), sums[g][c]);
        }
      }
    }
    for (int g = 0; g < kGroups; ++g) {
      for (int c = 0; c < kCols; ++c) _mm256_storeu_ps(y[c] + g * kInterleavedRows, sums[g][c]);
    }
  }
};

// The tile kernel (block_tiles.h) of interleaved groups.
template <class Codes>
struct InterleavedBlocks {
  using Block = typename Codes::Block;
  using Activation = BlockQ8_0Sum;
  static constexpr int64_t kBlockValues = kBlockElements;
  static constexpr int64_t kInterleavedRows = kernels::kInterleavedRows;

  template <int kGroups, int kCols>
  static void tile(const Block* const* groups, const char* next, const BlockQ8_0Sum* const* acts, int64_t blocks,
                   float* const* y) {
    __m256 lanes[kGroups][kCols];
    for (auto& group : lanes) {
      for (auto& lane : group) lane = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < blocks; ++b) {
      prefetch_next_group<Block, kGroups>(next, b);
      // Per activation block, once for all groups: its scale, and its sum
      // times the codes' bias (at most 128 x 32 x 127: exact).
      __m256 dx[kCols];
      __m256i offsets[kCols];
      for (int c = 0; c < kCols; ++c) {
        dx[c] = _mm256_set1_ps(acts[c][b].d);
        if constexpr (Codes::kCodeBias != 0) offsets[c] = _mm256_set1_epi32(acts[c][b].sum * Codes::kCodeBias);
      }
      for (int g = 0; g < kGroups; ++g) {
        __m256i codes[8];
        Codes::unpack(groups[g][b], codes);
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(groups[g][b].d)));
        for (int c = 0; c < kCols; ++c) {
          __m256i exact = Codes::dot(codes, acts[c][b].qs);
          if constexpr (Codes::kCodeBias != 0) exact = _mm256_sub_epi32(exact, offsets[c]);
          lanes[g][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(dw, dx[c]), lanes[g][c]);
        }
      }
    }
    for (int g = 0; g < kGroups; ++g) {
      for (int c = 0; c < kCols; ++c) _mm256_storeu_ps(y[c] + g * kInterleavedRows, lanes[g][c]);
    }
  }
};

}  // namespace
}  // namespace attn::kernels::tiles
