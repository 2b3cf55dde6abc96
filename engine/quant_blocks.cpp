#include "engine/quant_blocks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/tensor.h"

namespace attn {

void quantize_q4_0(const float* x, BlockQ4_0* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float* v = x + b * kBlockElements;
    // The signed value of largest magnitude maps to -8, the one end of the
    // 4-bit range with no positive twin, so one more level is usable.
    float amax = 0.f, max = 0.f;
    for (int j = 0; j < kBlockElements; ++j) {
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

void quantize_q8_0(const float* x, BlockQ8_0* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float* v = x + b * kBlockElements;
    float amax = 0.f;
    for (int j = 0; j < kBlockElements; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127;
    const float id = d != 0.f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_f16(d);
    // roundf: halves away from zero, as ggml's reference (not its SIMD activation path).
    for (int j = 0; j < kBlockElements; ++j) blocks[b].qs[j] = static_cast<int8_t>(std::roundf(v[j] * id));
  }
}

void dequantize_q4_0(const BlockQ4_0* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int j = 0; j < 16; ++j) {
      out[b * 32 + j] = static_cast<float>((blocks[b].qs[j] & 15) - 8) * d;
      out[b * 32 + j + 16] = static_cast<float>((blocks[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const BlockQ4_1* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d), m = f16_to_f32(blocks[b].m);
    for (int j = 0; j < 16; ++j) {
      out[b * 32 + j] = static_cast<float>(blocks[b].qs[j] & 15) * d + m;
      out[b * 32 + j + 16] = static_cast<float>(blocks[b].qs[j] >> 4) * d + m;
    }
  }
}

// ggml's dequantize_row_q5_1: code * d + m.
void dequantize_q5_1(const BlockQ5_1* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d), m = f16_to_f32(blocks[b].m);
    for (int j = 0; j < kBlockElements; ++j) out[b * 32 + j] = static_cast<float>(q5_1_value(blocks[b], j)) * d + m;
  }
}

void dequantize_q8_0(const BlockQ8_0* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int j = 0; j < kBlockElements; ++j) out[b * 32 + j] = static_cast<float>(blocks[b].qs[j]) * d;
  }
}

void quantize_blocks(DType type, const float* x, void* blocks, int64_t k) {
  switch (type) {
    case DType::Q4_0: return quantize_q4_0(x, static_cast<BlockQ4_0*>(blocks), k);
    case DType::Q8_0: return quantize_q8_0(x, static_cast<BlockQ8_0*>(blocks), k);
    case DType::Q4_K: return quantize_q4_k(x, static_cast<BlockQ4_K*>(blocks), k);
    case DType::Q6_K: return quantize_q6_k(x, static_cast<BlockQ6_K*>(blocks), k);
    default: throw std::logic_error("quantize_blocks: " + std::string(dtype_name(type)) + " is not a block type");
  }
}

void dequantize_blocks(DType type, const void* blocks, float* out, int64_t k) {
  switch (type) {
    case DType::Q4_0: return dequantize_q4_0(static_cast<const BlockQ4_0*>(blocks), out, k);
    case DType::Q4_1: return dequantize_q4_1(static_cast<const BlockQ4_1*>(blocks), out, k);
    case DType::Q5_1: return dequantize_q5_1(static_cast<const BlockQ5_1*>(blocks), out, k);
    case DType::Q8_0: return dequantize_q8_0(static_cast<const BlockQ8_0*>(blocks), out, k);
    case DType::Q4_K: return dequantize_q4_k(static_cast<const BlockQ4_K*>(blocks), out, k);
    case DType::Q5_K: return dequantize_q5_k(static_cast<const BlockQ5_K*>(blocks), out, k);
    case DType::Q6_K: return dequantize_q6_k(static_cast<const BlockQ6_K*>(blocks), out, k);
    case DType::Q8_K: return dequantize_q8_k(static_cast<const BlockQ8_K*>(blocks), out, k);
    case DType::IQ4_XS: return dequantize_iq4_xs(static_cast<const BlockIQ4_XS*>(blocks), out, k);
    default: throw std::logic_error("dequantize_blocks: " + std::string(dtype_name(type)) + " is not a block type");
  }
}

}  // namespace attn
