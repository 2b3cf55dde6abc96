// The AVX-512 block kernels' table (block_kernels.h): the tiles of
// interleaved_tiles.h with vpdpbusd (Q4_0 and Q8_0 two groups of eight rows
// x two activation rows, Q4_K and Q6_K one group) and Q5_K's of
// k_quant_tiles.h, four activation rows wide (the 32 vector registers hold
// sixteen accumulators and the activations), instantiated here with AVX-512
// flags; AVX2's one-row kernels for the rarer types. Constant-initialised,
// like the AVX2 table.
#include "engine/kernels/block_avx512.h"
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
using Q4_0 = tiles::InterleavedBlocks<tiles::Q4_0Groups<avx512::VnniDots>>;
using Q8_0 = tiles::InterleavedBlocks<tiles::Q8_0Groups<avx512::VnniDots>>;
using Q4_K = tiles::Q4_KGroups<avx512::VnniDots>;
using Q5_K = tiles::SuperBlocksWithMins<tiles::Q5_KCodes>;
using Q6_K = tiles::Q6_KGroups<avx512::VnniDots>;

}  // namespace

const BlockKernels& avx512_block_kernels() {
  static constinit const BlockKernels table{
      interleaved_q8_0_activations<quantize_q8_0_activations_avx2, tiles::gemv_rows<Q4_0, 2>, tiles::gemm_rows<Q4_0, 2, 2>,
                                   interleave_q4_0, interleaved_q4_0_bytes>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q4_1_avx2>(),
      q8_0_activations<quantize_q8_0_activations_avx2, gemv_q5_1_avx2>(),
      interleaved_q8_0_activations<quantize_q8_0_activations_avx2, tiles::gemv_rows<Q8_0, 2>, tiles::gemm_rows<Q8_0, 2, 2>,
                                   interleave_q8_0, interleaved_q8_0_bytes>(),
      interleaved_q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q4_K, 1>, tiles::gemm_rows<Q4_K, 1, 2>, interleave_q4_k,
                                   interleaved_q4_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q5_K, 2>, tiles::gemm_rows<Q5_K, 2, 4>>(),
      interleaved_q8_k_activations<quantize_q8_k_activations_avx2, tiles::gemv_rows<Q6_K, 1>, tiles::gemm_rows<Q6_K, 1, 2>, interleave_q6_k,
                                   interleaved_q6_k_bytes>(),
      q8_k_activations<quantize_q8_k_activations_avx2, gemv_q8_k_avx2>(),
      q8_k_activations<quantize_q8_k_activations_avx2, gemv_iq4_xs_avx2>(),
  };
  return table;
}

}  // namespace attn::kernels
