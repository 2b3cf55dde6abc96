// Each instruction set's block kernels (block_kernels.h), for dispatch.cpp.
#include <cstddef>

#include "engine/kernels/block_gemv.h"
#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

constexpr int64_t kQ8_0Block = kBlockElements, kQ8_KBlock = kSuperBlockElements;

using GemvRows = void (*)(const void*, const void*, float*, int64_t, int64_t, int64_t);

// gemm_rows for the types without a tile kernel: one activation row after another.
template <GemvRows gemv, int64_t kActivationBlock, size_t kActivationBlockBytes>
void row_by_row(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                int64_t row_end, int64_t k) {
  const auto stride = static_cast<int64_t>(k / kActivationBlock * kActivationBlockBytes);
  for (int64_t c = 0; c < x_rows; ++c) {
    gemv(w, static_cast<const std::byte*>(x) + c * stride, y + c * y_stride, row_begin, row_end, k);
  }
}

template <void (*quantize)(const float*, void*, int64_t), GemvRows gemv>
constexpr BlockGemv q8_0_activations() {
  return {kQ8_0Block, sizeof(BlockQ8_0), quantize, gemv, row_by_row<gemv, kQ8_0Block, sizeof(BlockQ8_0)>};
}

template <void (*quantize)(const float*, void*, int64_t), GemvRows gemv, decltype(BlockGemv::gemm_rows) gemm>
constexpr BlockGemv q8_0_activations_tiled() {
  return {kQ8_0Block, sizeof(BlockQ8_0), quantize, gemv, gemm};
}

template <GemvRows gemv, decltype(BlockGemv::gemm_rows) gemm>
constexpr BlockGemv q8_k_activations_tiled() {
  return {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv, gemm};
}

template <GemvRows gemv>
constexpr BlockGemv q8_k_activations() {
  return {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv,
          row_by_row<gemv, kQ8_KBlock, sizeof(BlockQ8_K)>};
}

}  // namespace

const BlockKernels& scalar_block_kernels() {
  static const BlockKernels table{
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q4_0_scalar>(),
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q4_1_scalar>(),
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q5_1_scalar>(),
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q8_0_scalar>(),
      q8_k_activations<gemv_q4_k_scalar>(),
      q8_k_activations<gemv_q5_k_scalar>(),
      q8_k_activations<gemv_q6_k_scalar>(),
      q8_k_activations<gemv_q8_k_scalar>(),
      q8_k_activations<gemv_iq4_xs_scalar>(),
  };
  return table;
}

// q8_K activations come from the reference quantiser on every ISA (as in
// ggml on x86): one pass over the input row, next to a GEMV over all rows.
const BlockKernels& avx2_block_kernels() {
  static const BlockKernels table{
      q8_0_activations_tiled<quantize_q8_0_activations_avx2, gemv_q4_0_avx2, gemm_q4_0_avx2>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q4_1_avx2>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q5_1_avx2>(),
      q8_0_activations_tiled<quantize_q8_0_activations_avx2, gemv_q8_0_avx2, gemm_q8_0_avx2>(),
      q8_k_activations_tiled<gemv_q4_k_avx2, gemm_q4_k_avx2>(),
      q8_k_activations_tiled<gemv_q5_k_avx2, gemm_q5_k_avx2>(),
      q8_k_activations_tiled<gemv_q6_k_avx2, gemm_q6_k_avx2>(),
      q8_k_activations<gemv_q8_k_avx2>(),
      q8_k_activations<gemv_iq4_xs_avx2>(),
  };
  return table;
}

// The AVX2 kernels but for the VNNI tiles of Q4_0 and Q8_0 and the wider
// tiles of Q4_K, Q5_K and Q6_K.
const BlockKernels& avx512_block_kernels() {
  static const BlockKernels table{
      q8_0_activations_tiled<quantize_q8_0_activations_avx2, gemv_q4_0_avx512, gemm_q4_0_avx512>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q4_1_avx2>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q5_1_avx2>(),
      q8_0_activations_tiled<quantize_q8_0_activations_avx2, gemv_q8_0_avx512, gemm_q8_0_avx512>(),
      q8_k_activations_tiled<gemv_q4_k_avx512, gemm_q4_k_avx512>(),
      q8_k_activations_tiled<gemv_q5_k_avx512, gemm_q5_k_avx512>(),
      q8_k_activations_tiled<gemv_q6_k_avx512, gemm_q6_k_avx512>(),
      q8_k_activations<gemv_q8_k_avx2>(),
      q8_k_activations<gemv_iq4_xs_avx2>(),
  };
  return table;
}

}  // namespace attn::kernels
