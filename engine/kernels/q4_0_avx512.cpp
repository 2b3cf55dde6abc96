// AVX-512 (VNNI) Q4_0 x q8_0 kernels (block_kernels.h): the tiles of
// block_tiles.h with vpdpbusd, four weight rows by four activation rows (the
// 32 vector registers hold sixteen accumulators and the activations).
#include "engine/kernels/block_avx512.h"
#include "engine/kernels/block_gemv.h"
#include "engine/kernels/q8_0_tiles.h"

namespace attn::kernels {

using Q4_0Vnni = tiles::Q4_0Codes<avx512::VnniDot>;

void gemv_q4_0_avx512(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  tiles::gemv_rows<tiles::BlocksOf32<Q4_0Vnni>, 4>(w, x, y, row_begin, row_end, k);
}

void gemm_q4_0_avx512(const void* w, const void* x, int64_t x_rows, float* y, int64_t y_stride, int64_t row_begin,
                      int64_t row_end, int64_t k) {
  tiles::gemm_rows<tiles::BlocksOf32<Q4_0Vnni>, 4, 4>(w, x, x_rows, y, y_stride, row_begin, row_end, k);
}

}  // namespace attn::kernels
