// Shared steps of the AVX-512 kernels (included only by files built with
// AVX-512 F/BW/VL/VNNI flags).
#pragma once

#include <immintrin.h>

#include "engine/kernels/block_avx2.h"

namespace attn::kernels::avx512 {

// Internal linkage: files built for different instruction sets include
// this header, and one shared (ODR-merged) copy of a function could run
// AVX-512 code on an AVX2-only CPU.
namespace {

// Avx2Dots (block_avx2.h) with vpdpbusd (AVX-512 VNNI on 256-bit registers), in two
// chains so that the adds' latency overlaps.
struct VnniDots {
  using SubBlockSum = __m256i;  // int32
  static SubBlockSum add_chunk(SubBlockSum sum, __m256i codes, __m256i quad) {
    return _mm256_dpbusd_epi32(sum, codes, quad);
  }
  // Eight rows' Q4_K sub-block scales (bytes) as `scaled` takes them: int32 lanes.
  static __m256i sub_block_scales(const uint8_t* scales) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales)));
  }
  static __m256i scaled(SubBlockSum sum, __m256i scales) { return _mm256_mullo_epi32(sum, scales); }
  // Q6_K's scales of sub-blocks 2q + u out of lanes of int16 pairs (2q,
  // 2q + 1), as scaled_sixteen takes them: int32 lanes.
  static __m256i sixteen_scales(__m256i pairs, int u) {
    return u ? _mm256_srai_epi32(pairs, 16) : _mm256_srai_epi32(_mm256_slli_epi32(pairs, 16), 16);
  }
  static __m256i scaled_sixteen(const __m256i* codes, const int8_t* x, __m256i scales) {
    __m256i sum = _mm256_setzero_si256();
    for (int t = 0; t < 4; ++t) sum = _mm256_dpbusd_epi32(sum, codes[t], avx2::broadcast_quad(x + 4 * t));
    return _mm256_mullo_epi32(sum, scales);
  }
  static __m256i nibble_dot(const __m256i* u, const int8_t* x) {
    __m256i even = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u[0], avx2::broadcast_quad(x));
    __m256i odd = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u[1], avx2::broadcast_quad(x + 4));
    for (int t = 2; t < 8; t += 2) {
      even = _mm256_dpbusd_epi32(even, u[t], avx2::broadcast_quad(x + 4 * t));
      odd = _mm256_dpbusd_epi32(odd, u[t + 1], avx2::broadcast_quad(x + 4 * t + 4));
    }
    return _mm256_add_epi32(even, odd);
  }
  // vpdpbusd multiplies unsigned by signed bytes: signed codes w go in as
  // w + 128 (w xor 0x80, once per weight block: bias_signed), and the
  // kernel subtracts 128 x the activations' sum (kSignedBias). Exact for
  // every w, -128 included.
  static constexpr int kSignedBias = 128;
  static void bias_signed(__m256i* w) {
    for (int t = 0; t < 8; ++t) w[t] = _mm256_xor_si256(w[t], _mm256_set1_epi8(static_cast<char>(0x80)));
  }
  static __m256i signed_dot(const __m256i* biased, const int8_t* x) { return nibble_dot(biased, x); }
};

}  // namespace
}  // namespace attn::kernels::avx512
