#include "engine/ops/rope.h"

#include <cmath>

namespace attn {

RotaryTable::RotaryTable(int head_dim, int max_positions, double theta, RopeStyle style)
    : head_dim_(head_dim), max_positions_(max_positions), style_(style) {
  const int half = head_dim / 2;
  cos_.resize(static_cast<size_t>(max_positions) * half);
  sin_.resize(cos_.size());
  // Angles in double: the table is built once, and float angles drift at
  // large positions.
  for (int p = 0; p < max_positions; ++p) {
    for (int i = 0; i < half; ++i) {
      const double angle = p * std::pow(theta, -2.0 * i / head_dim);
      cos_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::cos(angle));
      sin_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::sin(angle));
    }
  }
}

void RotaryTable::apply(float* head, int position) const {
  const int half = head_dim_ / 2;
  const float* c = cos_.data() + static_cast<size_t>(position) * half;
  const float* s = sin_.data() + static_cast<size_t>(position) * half;
  for (int i = 0; i < half; ++i) {
    float* a = style_ == RopeStyle::HalfSplit ? head + i : head + 2 * i;
    float* b = style_ == RopeStyle::HalfSplit ? head + i + half : head + 2 * i + 1;
    const float x0 = *a, x1 = *b;
    *a = x0 * c[i] - x1 * s[i];
    *b = x1 * c[i] + x0 * s[i];
  }
}

}  // namespace attn
