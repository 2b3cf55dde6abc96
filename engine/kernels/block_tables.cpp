// The scalar block kernels' table (block_kernels.h), for dispatch.cpp; the
// AVX2 and AVX-512 ones are in block_tables_avx2.cpp and
// block_tables_avx512.cpp, built with their instruction sets for the tile
// kernels they instantiate.
#include "engine/kernels/block_table_entries.h"
#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {

using entries::interleaved_q8_0_activations;
using entries::q8_0_activations;
using entries::interleaved_q8_k_activations;
using entries::q8_k_activations;

const BlockKernels& scalar_block_kernels() {
  static constinit const BlockKernels table{
      interleaved_q8_0_activations<quantize_q8_0_activations_scalar, gemv_q4_0_scalar,
                                   entries::row_by_row<gemv_q4_0_scalar, kBlockElements, sizeof(BlockQ8_0Sum)>,
                                   interleave_q4_0, interleaved_q4_0_bytes>(),
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q4_1_scalar>(),
      q8_0_activations<quantize_q8_0_activations_scalar, gemv_q5_1_scalar>(),
      interleaved_q8_0_activations<quantize_q8_0_activations_scalar, gemv_q8_0_scalar,
                                   entries::row_by_row<gemv_q8_0_scalar, kBlockElements, sizeof(BlockQ8_0Sum)>,
                                   interleave_q8_0, interleaved_q8_0_bytes>(),
      interleaved_q8_k_activations<quantize_q8_k_activations, gemv_q4_k_scalar,
                                   entries::row_by_row<gemv_q4_k_scalar, kSuperBlockElements, sizeof(BlockQ8_K)>,
                                   interleave_q4_k, interleaved_q4_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations, gemv_q5_k_scalar>(),
      interleaved_q8_k_activations<quantize_q8_k_activations, gemv_q6_k_scalar,
                                   entries::row_by_row<gemv_q6_k_scalar, kSuperBlockElements, sizeof(BlockQ8_K)>,
                                   interleave_q6_k, interleaved_q6_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations, gemv_q8_k_scalar>(),
      q8_k_activations<quantize_q8_k_activations, gemv_iq4_xs_scalar>(),
  };
  return table;
}

}  // namespace attn::kernels
