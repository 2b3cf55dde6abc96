// AVX2 Q4_0 x q8_0 kernels (block_kernels.h): the tiles of q8_0_tiles.h,
// four weight rows by two activation rows (the 16 ymm registers hold eight
// accumulators and the activations).
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/q8_0_tiles.h"

namespace attn::kernels {

using Q4_0Avx2 = tiles::Q4_0Codes<avx2::Avx2Dot>;

void gemv_q4_0_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  tiles::gemv_rows<tiles::BlocksOf32<Q4_0Avx2>, 4>(w, x, y, row_begin, row_end, k);
}

void gemm_q4_0_avx2(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                    int64_t row_end, int64_t k) {
  tiles::gemm_rows<tiles::BlocksOf32<Q4_0Avx2>, 4, 2>(w, x, x_rows, y, y_stride, row_begin, row_end, k);
}

}  // namespace attn::kernels
