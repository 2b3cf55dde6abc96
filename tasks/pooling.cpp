#include "tasks/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>


namespace attn {

void pool_rows(Pooling pooling, const float* rows, int64_t count, int64_t width, float* out) {
  switch (pooling) {
    case Pooling::Cls: std::memcpy(out, rows, width * sizeof(float)); return;
    case Pooling::Last: std::memcpy(out, rows + (count - 1) * width, width * sizeof(float)); return;
    case Pooling::Mean:
      std::memcpy(out, rows, width * sizeof(float));
      for (int64_t r = 1; r < count; ++r) {
        for (int64_t i = 0; i < width; ++i) out[i] += rows[r * width + i];
      }
      for (int64_t i = 0; i < width; ++i) out[i] *= 1.f / static_cast<float>(count);
      return;
    case Pooling::Max:
      std::memcpy(out, rows, width * sizeof(float));
      for (int64_t r = 1; r < count; ++r) {
        for (int64_t i = 0; i < width; ++i) out[i] = std::max(out[i], rows[r * width + i]);
      }
      return;
  }
}

void l2_normalize(float* x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += double{x[i]} * x[i];
  const float inverse = 1.f / std::max(static_cast<float>(std::sqrt(sum)), 1e-12f);
  for (int64_t i = 0; i < n; ++i) x[i] *= inverse;
}

}  // namespace attn
