// The scalar Q4_0 kernels: the AVX2 kernels' exact sequence of operations
// (q4_0.h), written one lane at a time.
#include <algorithm>
#include <cmath>

#include "engine/kernels/isa_kernels.h"
#include "engine/quant_blocks.h"
#include "engine/tensor.h"

namespace attn::kernels {
namespace {

void quantize_activations(const float* x, int8_t* q, float* block_scales, int64_t k) {
  for (int64_t b = 0; b < k / kQ4_0BlockElements; ++b) {
    const float* v = x + b * kQ4_0BlockElements;
    float amax = 0.f;
    for (int j = 0; j < kQ4_0BlockElements; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float inverse = amax != 0.f ? 127.f / amax : 0.f;
    block_scales[b] = f16_to_f32(f32_to_f16(amax / 127.f));
    for (int j = 0; j < kQ4_0BlockElements; ++j) {
      q[b * kQ4_0BlockElements + j] = static_cast<int8_t>(std::nearbyint(v[j] * inverse));
    }
  }
}

// The AVX2 kernels' reduction of eight lanes: (0+4, 1+5, 2+6, 3+7), then
// (first + third, second + fourth), then their sum.
float reduce_lanes(const float lanes[8]) {
  float half[4];
  for (int i = 0; i < 4; ++i) half[i] = lanes[i] + lanes[i + 4];
  return (half[0] + half[2]) + (half[1] + half[3]);
}

float row_dot(const BlockQ4_0* w, const int8_t* q, const float* block_scales, int64_t blocks) {
  float lanes[8] = {};
  for (int64_t b = 0; b < blocks; ++b) {
    const float d = f16_to_f32(w[b].d) * block_scales[b];
    const int8_t* qb = q + b * kQ4_0BlockElements;
    // Lane l holds weights 4l..4l+3: lanes 0-3 the low nibbles, 4-7 the high ones.
    for (int lane = 0; lane < 8; ++lane) {
      int32_t sum = 0;
      for (int j = 4 * lane; j < 4 * lane + 4; ++j) {
        const int nibble = j < 16 ? w[b].qs[j] & 15 : w[b].qs[j - 16] >> 4;
        sum += (nibble - 8) * qb[j];
      }
      lanes[lane] = std::fma(d, static_cast<float>(sum), lanes[lane]);
    }
  }
  return reduce_lanes(lanes);
}

void gemv_rows(const void* w, const int8_t* q, const float* block_scales, float* y, int64_t row_begin,
               int64_t row_end, int64_t k) {
  const int64_t blocks = k / kQ4_0BlockElements;
  for (int64_t r = row_begin; r < row_end; ++r) {
    y[r] = row_dot(static_cast<const BlockQ4_0*>(w) + r * blocks, q, block_scales, blocks);
  }
}

}  // namespace

const Q4_0Kernels& scalar_q4_0_kernels() {
  static const Q4_0Kernels table{quantize_activations, gemv_rows};
  return table;
}

}  // namespace attn::kernels
