// Kernels for weights in ggml's block types (engine/quant_blocks.h). Each
// input row is first quantised into the activation blocks ggml pairs with
// the weight type (q8_0 per 32 values for Q4_0, Q4_1, Q5_1 and Q8_0, q8_K
// per 256 for the K types and IQ4_XS); every weight row is then dotted with it in integers.
// Q4_0, Q8_0, Q4_K and Q6_K (rows interleaved, interleaved_blocks.h): each
// block's exact int32 sum, added into one f32 sum per row with one fused
// multiply-add by the two scales' product (Q4_K's mins into a second sum).
// The other types: exact int32 sums of four
// products per lane, eight lanes, the sub-block scales of the K types and
// IQ4_XS applied in int32 too; each block (32-value types) or super-block
// (256-value types) adds its lanes into eight f32 lanes with one fused
// multiply-add by the two scales' product; the mins (Q4_1, Q5_1, Q4_K,
// Q5_K) go into one f32 sum of their own; the lanes are reduced in one
// fixed order. The scalar, AVX2 and AVX-512 kernels follow the same
// sequence, so they give bit-identical results, whatever the row split.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attn/dtype.h"

namespace attn::kernels {

struct BlockGemv {
  int64_t activation_block;       // values per activation block: 32 (q8_0) or 256 (q8_K)
  size_t activation_block_bytes;  // sizeof(BlockQ8_0), sizeof(BlockQ8_0Sum) (interleaved Q4_0, Q8_0) or sizeof(BlockQ8_K)
  // x[0, k) (k a multiple of the weight type's block) into activation blocks.
  void (*quantize_activations)(const float* x, void* blocks, int64_t k);
  // y[r] = W[r, :] . x for r in [row_begin, row_end); w points at row 0 of
  // [rows, k] weight blocks, x at the row's activation blocks.
  void (*gemv_rows)(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k);
  // The same for x_rows activation rows back to back at x (prefill, or many
  // sequences decoding), output row c at y + c * y_stride: each output is
  // gemv_rows' to the bit, but a weight block is read and unpacked once for
  // several rows where the type has a tile kernel.
  void (*gemm_rows)(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                    int64_t row_end, int64_t k);
  // Types whose kernels read eight rows interleaved (Q4_0, Q8_0, Q4_K,
  // Q6_K; interleaved_blocks.h): [rows, k] stored blocks into that layout
  // (interleaved_bytes(rows, k) bytes), which w above then points at; done
  // once, when a Linear is built. nullptr: the kernels read stored blocks.
  void (*interleave)(const void* blocks, int64_t rows, int64_t k, void* out);
  size_t (*interleaved_bytes)(int64_t rows, int64_t k);

  size_t activation_row_bytes(int64_t k) const {
    return static_cast<size_t>(k / activation_block) * activation_block_bytes;
  }
};

struct BlockKernels {
  BlockGemv q4_0, q4_1, q5_1, q8_0, q4_k, q5_k, q6_k, q8_k, iq4_xs;
  // The kernels for weights of `type`; nullptr when it is not a block type.
  const BlockGemv* for_dtype(DType type) const {
    switch (type) {
      case DType::Q4_0: return &q4_0;
      case DType::Q4_1: return &q4_1;
      case DType::Q5_1: return &q5_1;
      case DType::Q8_0: return &q8_0;
      case DType::Q4_K: return &q4_k;
      case DType::Q5_K: return &q5_k;
      case DType::Q6_K: return &q6_k;
      case DType::Q8_K: return &q8_k;
      case DType::IQ4_XS: return &iq4_xs;
      default: return nullptr;
    }
  }
};

}  // namespace attn::kernels
