// AVX-512 Q4_K x q8_K kernels (block_kernels.h): the tiles of
// k_quant_tiles.h, two weight rows (more rows per pass measured slower for
// decode) by four activation rows.
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/k_quant_tiles.h"

namespace attn::kernels {

using Q4_KTiles = tiles::SuperBlocksWithMins<tiles::Q4_KCodes>;

void gemv_q4_k_avx512(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  tiles::gemv_rows<Q4_KTiles, 2>(w, x, y, row_begin, row_end, k);
}

void gemm_q4_k_avx512(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                      int64_t row_end, int64_t k) {
  tiles::gemm_rows<Q4_KTiles, 2, 4>(w, x, x_rows, y, y_stride, row_begin, row_end, k);
}

}  // namespace attn::kernels
