// Each instruction set's block kernels (block_kernels.h), for dispatch.cpp.
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

constexpr int64_t kQ8_0Block = kBlockElements, kQ8_KBlock = kSuperBlockElements;

}  // namespace

const BlockKernels& scalar_block_kernels() {
  static const BlockKernels table{
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_scalar, gemv_q4_0_scalar},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_scalar, gemv_q4_1_scalar},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_scalar, gemv_q5_1_scalar},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_scalar, gemv_q8_0_scalar},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q4_k_scalar},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q5_k_scalar},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q6_k_scalar},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q8_k_scalar},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_iq4_xs_scalar},
  };
  return table;
}

// q8_K activations come from the reference quantiser on every ISA (as in
// ggml on x86): one pass over the input row, next to a GEMV over all rows.
const BlockKernels& avx2_block_kernels() {
  static const BlockKernels table{
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_avx2, gemv_q4_0_avx2},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_avx2, gemv_q4_1_avx2},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_avx2, gemv_q5_1_avx2},
      {kQ8_0Block, sizeof(BlockQ8_0), quantize_q8_0_activations_avx2, gemv_q8_0_avx2},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q4_k_avx2},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q5_k_avx2},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q6_k_avx2},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_q8_k_avx2},
      {kQ8_KBlock, sizeof(BlockQ8_K), quantize_q8_k_activations, gemv_iq4_xs_avx2},
  };
  return table;
}

}  // namespace attn::kernels
