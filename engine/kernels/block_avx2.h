// Shared steps of the AVX2 block kernels (included only by files built
// with AVX2 flags).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "engine/quant_blocks.h"

namespace attn::kernels::avx2 {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// Products of signed bytes summed in int16 pairs: the u8 x s8 multiply-add
// on |a| and sign(a) * b. Exact while |a| * |b| * 2 stays below 2^15
// (every code here is at most 128 in magnitude, activations 127).
inline __m256i signed_pairs(__m256i a, __m256i b) {
  return _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

// 16 bytes of nibbles as 32 values in order (Q4_0's, Q4_1's, IQ4_XS's
// layout): the low nibbles are values 0-15, the high ones 16-31.
inline __m256i nibbles_of_32(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(15));
}

// The int16 pairs summed into eight int32 lanes, each times `scales` (int16 per pair).
inline __m256i scaled_quads(__m256i pairs, __m256i scales) { return _mm256_madd_epi16(pairs, scales); }

// Activation bytes x[0 .. 3] in every lane.
inline __m256i broadcast_quad(const int8_t* x) {
  int32_t quad;
  std::memcpy(&quad, x, sizeof quad);
  return _mm256_set1_epi32(quad);
}

// The eight-chunk dot products with AVX2's u8 x s8 multiply-add.
struct Avx2Dots {
  // A Q4_K sub-block's eight chunks one by one (codes of at most 15, as
  // nibble_dot: int16 pair sums), then times its scale (sub_block_scales,
  // at most 63) into int32.
  using SubBlockSum = __m256i;
  static SubBlockSum add_chunk(SubBlockSum sum, __m256i codes, __m256i quad) {
    return _mm256_add_epi16(sum, _mm256_maddubs_epi16(codes, quad));
  }
  // Eight rows' Q4_K sub-block scales (bytes) as `scaled` takes them: each
  // lane's in both its int16 halves.
  static __m256i sub_block_scales(const uint8_t* scales) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales));
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(bytes, bytes));
  }
  static __m256i scaled(SubBlockSum sum, __m256i scales) { return _mm256_madd_epi16(sum, scales); }
  // Q6_K's scales of sub-blocks 2q + u out of lanes of int16 pairs (2q,
  // 2q + 1), as scaled_sixteen takes them: each lane's in both its halves.
  static __m256i sixteen_scales(__m256i pairs, int u) {
    const __m256i low = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1, 0, 1, 4, 5, 4, 5, 8,
                                         9, 8, 9, 12, 13, 12, 13);
    const __m256i high = _mm256_add_epi8(low, _mm256_set1_epi8(2));
    return _mm256_shuffle_epi8(pairs, u ? high : low);
  }
  // A Q6_K sub-block of 16: four chunks of codes of at most 63 (at
  // `x`, x + 4, ...), two at a time in int16 (2 x 2 x 63 x 127 < 2^15),
  // times its int8 scale (sixteen_scales) into int32.
  static __m256i scaled_sixteen(const __m256i* codes, const int8_t* x, __m256i scale16) {
    __m256i sum = _mm256_setzero_si256();
    for (int t = 0; t < 4; t += 2) {
      const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(codes[t], broadcast_quad(x + 4 * t)),
                                             _mm256_maddubs_epi16(codes[t + 1], broadcast_quad(x + 4 * t + 4)));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, scale16));
    }
    return sum;
  }
  // Unsigned codes of at most 15 against activation quads x[0..3], x[4..7],
  // ... (each broadcast as it is used: a load, no ALU work): the int16 pair
  // sums of all eight chunks stay below 8 x 2 x 15 x 127 < 2^15, so they are
  // added before widening.
  static __m256i nibble_dot(const __m256i* u, const int8_t* x) {
    __m256i pairs = _mm256_maddubs_epi16(u[0], broadcast_quad(x));
    for (int t = 1; t < 8; ++t) pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(u[t], broadcast_quad(x + 4 * t)));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
  // Any signed codes: |w| x sign(w) x, widened chunk by chunk. Exact as it
  // is, so no bias (kSignedBias) and nothing to do to the codes first.
  static constexpr int kSignedBias = 0;
  static void bias_signed(__m256i*) {}
  static __m256i signed_dot(const __m256i* w, const int8_t* x) {
    __m256i sum = _mm256_setzero_si256();
    for (int t = 0; t < 8; ++t) {
      const __m256i pairs = avx2::signed_pairs(w[t], broadcast_quad(x + 4 * t));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
    }
    return sum;
  }
};

// The largest of eight lanes (what the activation quantisers scale by).
inline float max_of_lanes(__m256 lanes) {
  __m128 max4 = _mm_max_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
  return _mm_cvtss_f32(_mm_max_ss(max4, _mm_movehdup_ps(max4)));
}

// 32 int32 codes (four vectors, each within int8) stored as 32 bytes in
// order: the packs work per 128-bit lane, the permute restores the order.
inline void store_codes(const __m256i ints[4], int8_t* out) {
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(ints[0], ints[1]), _mm256_packs_epi32(ints[2], ints[3]));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// Eight lanes to one: (0+4, 1+5, 2+6, 3+7), then (first + third, second + fourth), then their sum.
inline float reduce_lanes(__m256 lanes) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
}

}  // namespace
}  // namespace attn::kernels::avx2
