#include "engine/ops/rope.h"

#include <cmath>
#include <stdexcept>

namespace attn {
namespace {

// Angles in double: the table is built once, and float angles drift at
// large positions.
void fill_table(const std::vector<double>& inv_freq, double factor, int max_positions, std::vector<float>& cos,
                std::vector<float>& sin) {
  const size_t half = inv_freq.size();
  cos.resize(static_cast<size_t>(max_positions) * half);
  sin.resize(cos.size());
  for (int p = 0; p < max_positions; ++p) {
    for (size_t i = 0; i < half; ++i) {
      const double angle = p * inv_freq[i];
      cos[p * half + i] = static_cast<float>(std::cos(angle) * factor);
      sin[p * half + i] = static_cast<float>(std::sin(angle) * factor);
    }
  }
}

}  // namespace

RopeFrequencies RopeFrequencies::standard(double theta, int rotary_dim) {
  RopeFrequencies f;
  f.rotary_dim = rotary_dim;
  for (int i = 0; i < rotary_dim / 2; ++i) f.inv_freq.push_back(std::pow(theta, -2.0 * i / rotary_dim));
  return f;
}

RotaryTable::RotaryTable(int head_dim, int max_positions, const RopeFrequencies& frequencies, RopeStyle style)
    : rotary_dim_(frequencies.rotary_dim), max_positions_(max_positions), long_after_(frequencies.long_after),
      style_(style) {
  const size_t half = static_cast<size_t>(rotary_dim_) / 2;
  if (rotary_dim_ <= 0 || rotary_dim_ % 2 != 0 || rotary_dim_ > head_dim || frequencies.inv_freq.size() != half ||
      (!frequencies.long_inv_freq.empty() && frequencies.long_inv_freq.size() != half)) {
    throw std::logic_error("RotaryTable: rotary_dim must be even, at most head_dim, with rotary_dim/2 frequencies");
  }
  fill_table(frequencies.inv_freq, frequencies.attention_factor, max_positions, cos_, sin_);
  if (!frequencies.long_inv_freq.empty()) {
    fill_table(frequencies.long_inv_freq, frequencies.attention_factor, max_positions, long_cos_, long_sin_);
  }
}

void RotaryTable::apply(float* head, int position, bool long_factors) const {
  const int half = rotary_dim_ / 2;
  const size_t offset = static_cast<size_t>(position) * half;
  const float* c = (long_factors ? long_cos_ : cos_).data() + offset;
  const float* s = (long_factors ? long_sin_ : sin_).data() + offset;
  for (int i = 0; i < half; ++i) {
    float* a = style_ == RopeStyle::HalfSplit ? head + i : head + 2 * i;
    float* b = style_ == RopeStyle::HalfSplit ? head + i + half : head + 2 * i + 1;
    const float x0 = *a, x1 = *b;
    *a = x0 * c[i] - x1 * s[i];
    *b = x1 * c[i] + x0 * s[i];
  }
}

}  // namespace attn
