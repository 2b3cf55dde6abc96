// Attention over the cache with AVX2 + FMA + F16C: keys and values widened
// to f32 eight at a time in registers (f16 by F16C, bf16 by a shift, q8_0
// int8 by sign extension, its block scale applied once per block).
#include <immintrin.h>

#include <cstring>

#include "engine/kernels/avx2_math.h"
#include "engine/kernels/isa_kernels.h"
#include "engine/kernels/online_softmax.h"
#include "engine/kv_rows.h"
#include "engine/tensor.h"

namespace attn::kernels {
namespace {

using namespace avx2;

// Values [i, i + 8) of a row of 16-bit or 32-bit floats, or of int8 (q8_0 block values).
template <CacheType Type>
__m256 load8(const std::byte* row, int64_t i) {
  if constexpr (Type == CacheType::F32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
  } else if constexpr (Type == CacheType::F16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
  } else if constexpr (Type == CacheType::BF16) {
    const __m256i widened = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(widened, 16));
  } else {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + i))));
  }
}

template <CacheType Type>
float load1(const std::byte* row, int64_t i) {
  if constexpr (Type == CacheType::F32) {
    float x;
    std::memcpy(&x, row + 4 * i, 4);
    return x;
  } else if constexpr (Type == CacheType::F16 || Type == CacheType::BF16) {
    uint16_t bits;
    std::memcpy(&bits, row + 2 * i, 2);
    return Type == CacheType::F16 ? f16_to_f32(bits) : bf16_to_f32(bits);
  } else {
    return static_cast<float>(static_cast<int8_t>(row[i]));
  }
}

// sum q[i] * row[i] over n values of a float row or a q8_0 block's int8s.
template <CacheType Type>
float dot_values(const float* q, const std::byte* row, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8<Type>(row, i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load8<Type>(row, i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8<Type>(row, i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += q[i] * load1<Type>(row, i);
  return sum;
}

// acc[i] += weight * row[i] over n values.
template <CacheType Type>
void add_values(float weight, const std::byte* row, float* acc, int64_t n) {
  const __m256 w = _mm256_set1_ps(weight);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(acc + i, _mm256_fmadd_ps(w, load8<Type>(row, i), _mm256_loadu_ps(acc + i)));
  for (; i < n; ++i) acc[i] += weight * load1<Type>(row, i);
}

float q8_scale(const std::byte* block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return _cvtsh_ss(bits);
}

struct Avx2Ops {
  template <CacheType Type>
  static float dot(const float* q, const std::byte* row, int64_t d) {
    if constexpr (Type != CacheType::Q8_0) {
      return dot_values<Type>(q, row, d);
    } else {
      float sum = 0;
      for (int64_t start = 0; start < d; start += kQ8BlockValues) {
        const int64_t n = std::min<int64_t>(kQ8BlockValues, d - start);
        sum += q8_scale(row) * dot_values<Type>(q + start, row + 2, n);
        row += 2 + n;
      }
      return sum;
    }
  }

  template <CacheType Type>
  static void add(float weight, const std::byte* row, float* acc, int64_t d) {
    if constexpr (Type != CacheType::Q8_0) {
      add_values<Type>(weight, row, acc, d);
    } else {
      for (int64_t start = 0; start < d; start += kQ8BlockValues) {
        const int64_t n = std::min<int64_t>(kQ8BlockValues, d - start);
        add_values<Type>(weight * q8_scale(row), row + 2, acc + start, n);
        row += 2 + n;
      }
    }
  }

  static void scale(float* x, float s, int64_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
    for (; i < n; ++i) x[i] *= s;
  }

  static float exp_shifted(float* x, int64_t n, float max) {
    const __m256 shift = _mm256_set1_ps(max);
    __m256 sums = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift));
      _mm256_storeu_ps(x + i, e);
      sums = _mm256_add_ps(sums, e);
    }
    float sum = horizontal_sum(sums);
    for (; i < n; ++i) sum += x[i] = std::exp(x[i] - max);
    return sum;
  }
};

}  // namespace

const AttentionKernels& avx2_attention_kernels() {
  static const AttentionKernels table{online_softmax::attend<Avx2Ops>};
  return table;
}

}  // namespace attn::kernels
