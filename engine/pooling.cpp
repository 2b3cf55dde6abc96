#include "engine/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/kernels.h"

namespace attn {

void pool_rows(Pooling pooling, const float* rows, int64_t count, int64_t width, float* out) {
  const auto& k = kernels::active();
  switch (pooling) {
    case Pooling::Cls: std::memcpy(out, rows, width * sizeof(float)); return;
    case Pooling::Last: std::memcpy(out, rows + (count - 1) * width, width * sizeof(float)); return;
    case Pooling::Mean:
      std::memcpy(out, rows, width * sizeof(float));
      for (int64_t r = 1; r < count; ++r) k.add(out, rows + r * width, out, width);
      k.scale(out, 1.f / static_cast<float>(count), width);
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
  const auto& k = kernels::active();
  const float norm = std::sqrt(k.dot(x, x, n));
  k.scale(x, 1.f / std::max(norm, 1e-12f), n);
}

}  // namespace attn
