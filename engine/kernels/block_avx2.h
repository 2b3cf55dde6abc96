// Shared steps of the AVX2 block kernels (included only by files built
// with AVX2 flags).
#pragma once

#include <immintrin.h>

#include <cstdint>

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

// The int8 dot products of the AVX2 kernels, as the block tiles
// (block_tiles.h) take them: eight int32 lanes, lane l the exact sum of the
// products of bytes 4l .. 4l + 3.
struct Avx2Dot {
  // u: unsigned bytes (at most 128), s: signed bytes in [-127, 127].
  static __m256i unsigned_dot(__m256i u, __m256i s) { return scaled_quads(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }
  struct SignedActs {
    __m256i acts;
  };
  static SignedActs prepare_signed(__m256i acts) { return {acts}; }
  // w: any signed bytes.
  static __m256i signed_dot(__m256i w, const SignedActs& s) {
    return scaled_quads(signed_pairs(w, s.acts), _mm256_set1_epi16(1));
  }
};

// Eight lanes to one: (0+4, 1+5, 2+6, 3+7), then (first + third, second + fourth), then their sum.
inline float reduce_lanes(__m256 lanes) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(lanes), _mm256_extractf128_ps(lanes, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
}

}  // namespace
}  // namespace attn::kernels::avx2
