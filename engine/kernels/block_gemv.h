// The one-row block kernels of each instruction set, one file per weight
// type (q4_1_avx2.cpp, ...; the scalar ones share block_scalar.cpp), and the
// activation quantisers; with the tile kernels (templates: q8_0_tiles.h,
// k_quant_tiles.h) they are assembled into BlockKernels by block_tables*.cpp.
#pragma once

#include <cstdint>

#include "engine/quant_blocks.h"

namespace attn::kernels {

void gemv_q4_0_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q4_1_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q5_1_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q8_0_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q4_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q5_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q6_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q8_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_iq4_xs_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q4_1_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q5_1_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_q8_k_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
void gemv_iq4_xs_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);

// Activations as ggml quantises them on x86: q8_0 blocks with d = max|x| /
// 127 stored as f16 and q = round_half_even(x * (127 / max|x|)) (its AVX2
// quantize_row_q8_0); q8_K blocks by its reference quantize_row_q8_K_ref.
void quantize_q8_0_activations_scalar(const float* x, void* blocks, int64_t k);
void quantize_q8_0_activations_avx2(const float* x, void* blocks, int64_t k);
void quantize_q8_k_activations(const float* x, void* blocks, int64_t k);
void quantize_q8_k_activations_avx2(const float* x, void* blocks, int64_t k);

// A Q5_K block's min term against q8_K activations: dmin * d_x * (sum over
// sub-blocks j of min_j * the sum of j's activation codes); a Q4_1 or Q5_1
// block's against q8_0 activations: m * d_x * (the sum of the codes).
// Defined once (block_scalar.cpp, built without FMA), so every instruction
// set rounds them alike (the K tiles repeat Q5_K's in their own code, built
// without contraction).
float q5_k_mins(const BlockQ5_K& w, const BlockQ8_K& x);
float q4_1_mins(const BlockQ4_1& w, const BlockQ8_0& x);
float q5_1_mins(const BlockQ5_1& w, const BlockQ8_0& x);

// The AVX2 kernels' reduction of eight f32 lanes, in scalar code:
// (0+4, 1+5, 2+6, 3+7), then (first + third, second + fourth), then their sum.
inline float reduce_lanes_scalar(const float lanes[8]) {
  float half[4];
  for (int i = 0; i < 4; ++i) half[i] = lanes[i] + lanes[i + 4];
  return (half[0] + half[2]) + (half[1] + half[3]);
}

}  // namespace attn::kernels
