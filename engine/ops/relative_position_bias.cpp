#include "engine/ops/relative_position_bias.h"

#include <cmath>

namespace attn {

int RelativePositionBias::bucket(int relative_position, int num_buckets, int max_distance, bool bidirectional) {
  int buckets = 0;
  if (bidirectional) {
    num_buckets /= 2;
    if (relative_position > 0) buckets += num_buckets;
    relative_position = std::abs(relative_position);
  } else {
    relative_position = -std::min(relative_position, 0);
  }
  const int max_exact = num_buckets / 2;
  if (relative_position < max_exact) return buckets + relative_position;
  const float scaled = std::log(static_cast<float>(relative_position) / static_cast<float>(max_exact)) /
                       static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact)) *
                       static_cast<float>(num_buckets - max_exact);
  return buckets + std::min(max_exact + static_cast<int>(scaled), num_buckets - 1);
}

RelativePositionBias::RelativePositionBias(const Tensor& table, int max_distance, bool bidirectional)
    : max_distance_(max_distance) {
  const Tensor values = table.to_f32();
  const int num_buckets = static_cast<int>(values.dim(0)), heads = static_cast<int>(values.dim(1));
  const int distances = 2 * max_distance + 1;
  by_distance_.resize(static_cast<size_t>(heads) * distances);
  for (int relative = -max_distance; relative <= max_distance; ++relative) {
    const int b = bucket(relative, num_buckets, max_distance, bidirectional);
    for (int h = 0; h < heads; ++h) {
      by_distance_[static_cast<size_t>(h) * distances + relative + max_distance] = values.data_as<float>()[b * heads + h];
    }
  }
}

}  // namespace attn
