// AVX2 Q4_1 x q8_0 GEMV (block_kernels.h): Q4_0's nibble unpacking with
// unsigned codes (offset_blocks_avx2.h).
#include "engine/kernels/offset_blocks_avx2.h"

namespace attn::kernels {

void gemv_q4_1_avx2(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const auto codes = [](const BlockQ4_1& block) { return avx2::nibbles_of_32(block.qs); };
  gemv_offset_blocks_avx2<BlockQ4_1>(w, x, y, row_begin, row_end, k, codes, q4_1_mins);
}

}  // namespace attn::kernels
