// The AVX2 block kernels' table (block_kernels.h): the tiles of
// interleaved_tiles.h and k_quant_tiles.h, instantiated here with AVX2
// flags, and one-row kernels for the rarer types. Tiles of two activation
// rows: the 16 ymm registers hold the accumulators and the activations. Two
// weight rows per pass for Q5_K (four measured 10-20 % slower for decode),
// one group of eight for the interleaved types. The table is
// constant-initialised, so building it runs no AVX2 code.
#include "engine/kernels/block_table_entries.h"
#include "engine/kernels/isa_kernels.h"
#include "engine/kernels/interleaved_tiles.h"
#include "engine/kernels/k_quant_tiles.h"

namespace attn::kernels {
namespace {

using entries::interleaved_q8_0_activations;
using entries::q8_0_activations;
using entries::interleaved_q8_k_activations;
using entries::q8_k_activations;
using Q4_0 = tiles::InterleavedBlocks<tiles::Q4_0Groups<avx2::Avx2Dots>>;
using Q8_0 = tiles::InterleavedBlocks<tiles::Q8_0Groups<avx2::Avx2Dots>>;
using Q4_K = tiles::Q4_KGroups<avx2::Avx2Dots>;
using Q5_K = tiles::SuperBlocksWithMins<tiles::Q5_KCodes>;
using Q6_K = tiles::Q6_KGroups<avx2::Avx2Dots>;

}  // namespace

const BlockKernels& avx2_block_kernels() {
  static constinit const BlockKernels table{
      interleaved_q8_0_activations<quantize_q8_0_activations_avx2, tiles::gemv_rows<Q4_0, 1>, tiles::gemm_rows<Q4_0, 1, 2>,
                                   interleave_q4_0, interleaved_q4_0_bytes>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q4_1_avx2>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q5_1_avx2>(),
      interleaved_q8_0_activations<quantize_q8_0_activations_avx2, tiles::gemv_rows<Q8_0, 1>, tiles::gemm_rows<Q8_0, 1, 2>,
                                   interleave_q8_0, interleaved_q8_0_bytes>(),
      interleaved_q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q4_K, 1>, tiles::gemm_rows<Q4_K, 1, 2>, interleave_q4_k,
                                   interleaved_q4_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q5_K, 2>, tiles::gemm_rows<Q5_K, 2, 2>>(),
      interleaved_q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q6_K, 1>, tiles::gemm_rows<Q6_K, 1, 2>, interleave_q6_k,
                                   interleaved_q6_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations_avx2, gemv_q8_k_avx2>(),
      q8_k_activations<quantize_q8_k_activations_avx2, gemv_iq4_xs_avx2>(),
  };
  return table;
}

}  // namespace attn::kernels
