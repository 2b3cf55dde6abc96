#include "engine/ops/rope.h"

#include <cmath>
#include <stdexcept>

namespace attn {

RopeFrequencies RopeFrequencies::standard(double theta, int rotary_dim) {
  RopeFrequencies f;
  f.rotary_dim = rotary_dim;
  for (int i = 0; i < rotary_dim / 2; ++i) f.inv_freq.push_back(std::pow(theta, -2.0 * i / rotary_dim));
  return f;
}

Rotary::Rotary(int head_dim, const RopeFrequencies& frequencies, RopeStyle style)
    : rotary_dim_(frequencies.rotary_dim), long_after_(frequencies.long_after), style_(style),
      factor_(frequencies.attention_factor), inv_freq_(frequencies.inv_freq), long_inv_freq_(frequencies.long_inv_freq) {
  const size_t half = static_cast<size_t>(rotary_dim_) / 2;
  if (rotary_dim_ <= 0 || rotary_dim_ % 2 != 0 || rotary_dim_ > head_dim || inv_freq_.size() != half ||
      (!long_inv_freq_.empty() && long_inv_freq_.size() != half)) {
    throw std::logic_error("Rotary: rotary_dim must be even, at most head_dim, with rotary_dim/2 frequencies");
  }
}

void Rotary::apply(float* head, int position, bool long_factors) const {
  const int half = rotary_dim_ / 2;
  const double* inv_freq = (long_factors ? long_inv_freq_ : inv_freq_).data();
  for (int i = 0; i < half; ++i) {
    // Angles in double: float angles drift at large positions.
    const double angle = position * inv_freq[i];
    const float c = static_cast<float>(std::cos(angle) * factor_), s = static_cast<float>(std::sin(angle) * factor_);
    float* a = style_ == RopeStyle::HalfSplit ? head + i : head + 2 * i;
    float* b = style_ == RopeStyle::HalfSplit ? head + i + half : head + 2 * i + 1;
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x1 * c + x0 * s;
  }
}

}  // namespace attn
