// Building BlockGemv entries (block_kernels.h) for the tables of
// block_tables*.cpp: a weight type's activation quantiser, its GEMV, its
// gemm_rows, a tile kernel's (block_tiles.h) or activation rows one by one,
// and the layout its kernels read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/kernels/block_gemv.h"
#include "engine/kernels/block_kernels.h"
#include "engine/kernels/interleaved_blocks.h"
#include "engine/tensor.h"

namespace attn::kernels::entries {

// Internal linkage: the AVX2 and AVX-512 tables instantiate row_by_row
// with the same arguments under different instruction sets.
namespace {

using GemvRows = void (*)(const void*, const void*, float*, int64_t, int64_t, int64_t);
using GemmRows = decltype(BlockGemv::gemm_rows);
using Quantize = void (*)(const float*, void*, int64_t);

// gemm_rows for the types without a tile kernel: one activation row after another.
template <GemvRows gemv, int64_t kActivationBlock, size_t kActivationBlockBytes>
void row_by_row(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                int64_t row_end, int64_t k) {
  const auto stride = static_cast<int64_t>(k / kActivationBlock * kActivationBlockBytes);
  for (int64_t c = 0; c < x_rows; ++c) {
    gemv(w, static_cast<const std::byte*>(x) + c * stride, y + c * y_stride, row_begin, row_end, k);
  }
}

// Weights in blocks of 32 against q8_0 activations.
template <Quantize quantize, GemvRows gemv, GemmRows gemm = row_by_row<gemv, kBlockElements, sizeof(BlockQ8_0)>>
constexpr BlockGemv q8_0_activations() {
  return {kBlockElements, sizeof(BlockQ8_0), quantize, gemv, gemm, nullptr, nullptr};
}

// x[0, k) into BlockQ8_0Sum blocks: `quantize`'s q8_0 blocks, their scales
// widened and their codes summed.
template <Quantize quantize>
void quantize_with_sums(const float* x, void* out, int64_t k) {
  auto* blocks = static_cast<BlockQ8_0Sum*>(out);
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    BlockQ8_0 block;
    quantize(x + b * kBlockElements, &block, kBlockElements);
    int32_t sum = 0;
    for (const int8_t code : block.qs) sum += code;
    blocks[b].d = f16_to_f32(block.d);
    blocks[b].sum = sum;
    std::memcpy(blocks[b].qs, block.qs, sizeof block.qs);
  }
}

// The same for weights the kernels read interleaved (interleaved_blocks.h),
// against BlockQ8_0Sum activations.
template <Quantize quantize, GemvRows gemv, GemmRows gemm, decltype(BlockGemv::interleave) interleave,
          decltype(BlockGemv::interleaved_bytes) interleaved_bytes>
constexpr BlockGemv interleaved_q8_0_activations() {
  return {kBlockElements, sizeof(BlockQ8_0Sum), quantize_with_sums<quantize>, gemv, gemm, interleave, interleaved_bytes};
}

// Super-blocks of 256 against q8_K activations (ggml's reference quantiser
// to the byte, on every ISA).
template <Quantize quantize, GemvRows gemv, GemmRows gemm = row_by_row<gemv, kSuperBlockElements, sizeof(BlockQ8_K)>>
constexpr BlockGemv q8_k_activations() {
  return {kSuperBlockElements, sizeof(BlockQ8_K), quantize, gemv, gemm, nullptr, nullptr};
}

// The same for weights the kernels read interleaved (interleaved_blocks.h).
template <Quantize quantize, GemvRows gemv, GemmRows gemm, decltype(BlockGemv::interleave) interleave,
          decltype(BlockGemv::interleaved_bytes) interleaved_bytes>
constexpr BlockGemv interleaved_q8_k_activations() {
  return {kSuperBlockElements, sizeof(BlockQ8_K), quantize, gemv, gemm, interleave, interleaved_bytes};
}

}  // namespace
}  // namespace attn::kernels::entries
