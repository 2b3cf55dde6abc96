#include "engine/kv_rows.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/tensor.h"

namespace attn {

std::string_view cache_type_name(CacheType type) {
  switch (type) {
    case CacheType::F32: return "f32";
    case CacheType::F16: return "f16";
    case CacheType::BF16: return "bf16";
    case CacheType::Q8_0: return "q8_0";
  }
  return "?";
}

std::optional<CacheType> parse_cache_type(std::string_view name) {
  for (CacheType type : {CacheType::F32, CacheType::F16, CacheType::BF16, CacheType::Q8_0}) {
    if (cache_type_name(type) == name) return type;
  }
  return std::nullopt;
}

int64_t cache_row_bytes(CacheType type, int64_t values) {
  switch (type) {
    case CacheType::F32: return values * 4;
    case CacheType::F16:
    case CacheType::BF16: return values * 2;
    case CacheType::Q8_0: return values + 2 * ((values + kQ8BlockValues - 1) / kQ8BlockValues);
  }
  return 0;
}

void encode_cache_row(CacheType type, const float* x, int64_t values, std::byte* row) {
  switch (type) {
    case CacheType::F32: std::memcpy(row, x, values * sizeof(float)); return;
    case CacheType::F16:
    case CacheType::BF16: {
      const auto convert = type == CacheType::F16 ? f32_to_f16 : f32_to_bf16;
      for (int64_t i = 0; i < values; ++i) {
        const uint16_t bits = convert(x[i]);
        std::memcpy(row + 2 * i, &bits, 2);
      }
      return;
    }
    case CacheType::Q8_0:
      for (int64_t start = 0; start < values; start += kQ8BlockValues) {
        const int64_t n = std::min<int64_t>(kQ8BlockValues, values - start);
        float max = 0;
        for (int64_t i = 0; i < n; ++i) max = std::max(max, std::fabs(x[start + i]));
        // As ggml's quantize_row_q8_0: the f32 scale quantises, its f16 rounding is stored.
        const float d = max / 127.f, inverse = d != 0 ? 1.f / d : 0.f;
        const uint16_t scale = f32_to_f16(d);
        std::memcpy(row, &scale, 2);
        for (int64_t i = 0; i < n; ++i) row[2 + i] = static_cast<std::byte>(static_cast<int8_t>(std::round(x[start + i] * inverse)));
        row += 2 + n;
      }
      return;
  }
}

void decode_cache_row(CacheType type, const std::byte* row, int64_t values, float* x) {
  switch (type) {
    case CacheType::F32: std::memcpy(x, row, values * sizeof(float)); return;
    case CacheType::F16:
    case CacheType::BF16:
      for (int64_t i = 0; i < values; ++i) {
        uint16_t bits;
        std::memcpy(&bits, row + 2 * i, 2);
        x[i] = type == CacheType::F16 ? f16_to_f32(bits) : bf16_to_f32(bits);
      }
      return;
    case CacheType::Q8_0:
      for (int64_t start = 0; start < values; start += kQ8BlockValues) {
        const int64_t n = std::min<int64_t>(kQ8BlockValues, values - start);
        uint16_t scale;
        std::memcpy(&scale, row, 2);
        const float d = f16_to_f32(scale);
        for (int64_t i = 0; i < n; ++i) x[start + i] = d * static_cast<float>(static_cast<int8_t>(row[2 + i]));
        row += 2 + n;
      }
      return;
  }
}

}  // namespace attn
