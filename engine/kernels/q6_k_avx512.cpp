// AVX-512 Q6_K x q8_K kernels (block_kernels.h): the tiles of
// k_quant_tiles.h, two weight rows (four measured 20 % slower for decode)
// by four activation rows.
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/k_quant_tiles.h"

namespace attn::kernels {

void gemv_q6_k_avx512(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  tiles::gemv_rows<tiles::Q6_KSuperBlocks, 2>(w, x, y, row_begin, row_end, k);
}

void gemm_q6_k_avx512(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                      int64_t row_end, int64_t k) {
  tiles::gemm_rows<tiles::Q6_KSuperBlocks, 2, 4>(w, x, x_rows, y, y_stride, row_begin, row_end, k);
}

}  // namespace attn::kernels
