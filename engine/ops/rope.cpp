#include "engine/ops/rope.h"

#include <atomic>
#include <cmath>
#include <stdexcept>

namespace attn {

RopeFrequencies RopeFrequencies::standard(double theta, int rotary_dim) {
  RopeFrequencies f;
  f.rotary_dim = rotary_dim;
  for (int i = 0; i < rotary_dim / 2; ++i) f.inv_freq.push_back(std::pow(theta, -2.0 * i / rotary_dim));
  return f;
}

namespace {

// Distinguishes Rotary objects in the angle cache: an address may be reused
// by a later object with other frequencies.
std::atomic<uint64_t> next_rotary_id{1};

}  // namespace

Rotary::Rotary(int head_dim, const RopeFrequencies& frequencies, RopeStyle style)
    : id_(next_rotary_id.fetch_add(1, std::memory_order_relaxed)), rotary_dim_(frequencies.rotary_dim), long_after_(frequencies.long_after), style_(style),
      factor_(frequencies.attention_factor), inv_freq_(frequencies.inv_freq), long_inv_freq_(frequencies.long_inv_freq) {
  const size_t half = static_cast<size_t>(rotary_dim_) / 2;
  if (rotary_dim_ <= 0 || rotary_dim_ % 2 != 0 || rotary_dim_ > head_dim || inv_freq_.size() != half ||
      (!long_inv_freq_.empty() && long_inv_freq_.size() != half)) {
    throw std::logic_error("Rotary: rotary_dim must be even, at most head_dim, with rotary_dim/2 frequencies");
  }
}

// Every head of a position (queries and keys, one layer after another)
// rotates by the same angles, and the callers rotate a position's heads in a
// row: one cached position per thread spares all but the first of them the
// cos/sin, which otherwise cost as much as the attention of a short context.
const Rotary::Angles& Rotary::angles(int position, bool long_factors) const {
  thread_local Angles cached;
  if (cached.rotary_id == id_ && cached.position == position && cached.long_factors == long_factors) return cached;
  const int half = rotary_dim_ / 2;
  const double* inv_freq = (long_factors ? long_inv_freq_ : inv_freq_).data();
  cached.cos.resize(half);
  cached.sin.resize(half);
  for (int i = 0; i < half; ++i) {
    // Angles in double: float angles drift at large positions.
    const double angle = position * inv_freq[i];
    cached.cos[i] = static_cast<float>(std::cos(angle) * factor_);
    cached.sin[i] = static_cast<float>(std::sin(angle) * factor_);
  }
  cached.rotary_id = id_;
  cached.position = position;
  cached.long_factors = long_factors;
  return cached;
}

void Rotary::apply(float* head, int position, bool long_factors) const {
  const int half = rotary_dim_ / 2;
  const Angles& angles = this->angles(position, long_factors);
  for (int i = 0; i < half; ++i) {
    const float c = angles.cos[i], s = angles.sin[i];
    float* a = style_ == RopeStyle::HalfSplit ? head + i : head + 2 * i;
    float* b = style_ == RopeStyle::HalfSplit ? head + i + half : head + 2 * i + 1;
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x1 * c + x0 * s;
  }
}

}  // namespace attn
