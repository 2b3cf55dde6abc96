#include "engine/quant_blocks.h"

#include <algorithm>
#include <cmath>

#include "engine/tensor.h"

namespace attn {

void quantize_q4_0(const float* x, BlockQ4_0* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kQ4_0BlockElements; ++b) {
    const float* v = x + b * kQ4_0BlockElements;
    // The signed value of largest magnitude maps to -8, the one end of the
    // 4-bit range with no positive twin, so one more level is usable.
    float amax = 0.f, max = 0.f;
    for (int j = 0; j < kQ4_0BlockElements; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_f16(d);
    for (int j = 0; j < 16; ++j) {
      // ggml's (int8_t) cast truncates toward zero; x * id + 8.5 is >= 0.5 here.
      const auto low = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(v[j] * id + 8.5f))));
      const auto high =
          static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(v[j + 16] * id + 8.5f))));
      blocks[b].qs[j] = static_cast<uint8_t>(low | (high << 4));
    }
  }
}

void dequantize_q4_0(const BlockQ4_0* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kQ4_0BlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int j = 0; j < 16; ++j) {
      out[b * 32 + j] = static_cast<float>((blocks[b].qs[j] & 15) - 8) * d;
      out[b * 32 + j + 16] = static_cast<float>((blocks[b].qs[j] >> 4) - 8) * d;
    }
  }
}

}  // namespace attn
