// Attention over the cache without SIMD: each stored type widened one value
// at a time.
#include <cstring>

#include "engine/kernels/isa_kernels.h"
#include "engine/kernels/online_softmax.h"
#include "engine/kv_rows.h"
#include "engine/tensor.h"

namespace attn::kernels {
namespace {

template <CacheType Type>
float value_at(const std::byte* row, int64_t i) {
  if constexpr (Type == CacheType::F32) {
    float x;
    std::memcpy(&x, row + 4 * i, 4);
    return x;
  } else {
    uint16_t bits;
    std::memcpy(&bits, row + 2 * i, 2);
    return Type == CacheType::F16 ? f16_to_f32(bits) : bf16_to_f32(bits);
  }
}

// q8_0 rows: f(block_start, n, scale, int8 values) per block.
template <typename F>
void for_each_q8_block(const std::byte* row, int64_t d, F&& f) {
  for (int64_t start = 0; start < d; start += kQ8BlockValues) {
    const int64_t n = std::min<int64_t>(kQ8BlockValues, d - start);
    uint16_t scale;
    std::memcpy(&scale, row, 2);
    f(start, n, f16_to_f32(scale), reinterpret_cast<const int8_t*>(row + 2));
    row += 2 + n;
  }
}

struct ScalarOps {
  template <CacheType Type>
  static float dot(const float* q, const std::byte* row, int64_t d) {
    float sum = 0;
    if constexpr (Type == CacheType::Q8_0) {
      for_each_q8_block(row, d, [&](int64_t start, int64_t n, float scale, const int8_t* values) {
        float block = 0;
        for (int64_t i = 0; i < n; ++i) block += q[start + i] * static_cast<float>(values[i]);
        sum += scale * block;
      });
    } else {
      for (int64_t i = 0; i < d; ++i) sum += q[i] * value_at<Type>(row, i);
    }
    return sum;
  }

  template <CacheType Type>
  static void add(float weight, const std::byte* row, float* acc, int64_t d) {
    if constexpr (Type == CacheType::Q8_0) {
      for_each_q8_block(row, d, [&](int64_t start, int64_t n, float scale, const int8_t* values) {
        const float w = weight * scale;
        for (int64_t i = 0; i < n; ++i) acc[start + i] += w * static_cast<float>(values[i]);
      });
    } else {
      for (int64_t i = 0; i < d; ++i) acc[i] += weight * value_at<Type>(row, i);
    }
  }

  static void scale(float* x, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
  }

  // x = exp(x - max); returns the sum.
  static float exp_shifted(float* x, int64_t n, float max) {
    float sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - max);
    return sum;
  }
};

}  // namespace

const AttentionKernels& scalar_attention_kernels() {
  static const AttentionKernels table{online_softmax::attend<ScalarOps>};
  return table;
}

}  // namespace attn::kernels
