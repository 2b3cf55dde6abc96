// AVX-512 (VNNI) Q8_0 x q8_0 kernels (block_kernels.h): the tiles of
// block_tiles.h with vpdpbusd, four weight rows by four activation rows.
#include "engine/kernels/block_avx512.h"
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/q8_0_tiles.h"

namespace attn::kernels {

using Q8_0Vnni = tiles::Q8_0Codes<avx512::VnniDot>;

void gemv_q8_0_avx512(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  tiles::gemv_rows<tiles::BlocksOf32<Q8_0Vnni>, 4>(w, x, y, row_begin, row_end, k);
}

void gemm_q8_0_avx512(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                      int64_t row_end, int64_t k) {
  tiles::gemm_rows<tiles::BlocksOf32<Q8_0Vnni>, 4, 4>(w, x, x_rows, y, y_stride, row_begin, row_end, k);
}

}  // namespace attn::kernels
