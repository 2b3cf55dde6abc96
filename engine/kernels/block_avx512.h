// Shared steps of the AVX-512 kernels (included only by files built with
// AVX-512 F/BW/VL/VNNI flags).
#pragma once

#include <immintrin.h>

namespace attn::kernels::avx512 {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// The int8 dot products of the block tiles (block_tiles.h) with vpdpbusd:
// the same eight int32 lanes as Avx2Dot (lane l the exact sum of the
// products of bytes 4l .. 4l + 3), in one instruction instead of two.
struct VnniDot {
  static __m256i unsigned_dot(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
  // vpdpbusd multiplies unsigned by signed bytes: signed weights w go in as
  // w + 128 (w xor 0x80), and 128 x the activations' sum, computed once per
  // activation block for every weight row, is subtracted. Exact for every w,
  // -128 included.
  struct SignedActs {
    __m256i acts, offset;
  };
  static SignedActs prepare_signed(__m256i acts) {
    return {acts, unsigned_dot(_mm256_set1_epi8(static_cast<char>(0x80)), acts)};
  }
  static __m256i signed_dot(__m256i w, const SignedActs& s) {
    const __m256i biased = _mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80)));
    return _mm256_sub_epi32(unsigned_dot(biased, s.acts), s.offset);
  }
};

}  // namespace
}  // namespace attn::kernels::avx512
