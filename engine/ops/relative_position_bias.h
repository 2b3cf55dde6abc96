// T5's relative position bias: a learned score per head and bucket of the
// key's distance from the query, added to q.k before the softmax. Buckets
// are exact for near distances and logarithmic up to max_distance, beyond
// which they saturate; an encoder's are bidirectional (half the buckets for
// keys after the query), a decoder's look back only.
#pragma once

#include <algorithm>
#include <vector>

#include "engine/tensor.h"

namespace attn {

class RelativePositionBias {
 public:
  // table: [num_buckets, heads] (relative_attention_bias.weight), any float dtype.
  RelativePositionBias(const Tensor& table, int max_distance, bool bidirectional);

  // The bias of head `head` for a key at key_position seen from query_position.
  float operator()(int head, int key_position, int query_position) const {
    const int relative = std::clamp(key_position - query_position, -max_distance_, max_distance_);
    return by_distance_[static_cast<size_t>(head) * (2 * max_distance_ + 1) + relative + max_distance_];
  }

  // transformers' T5Attention._relative_position_bucket (float32 logs, as torch computes them).
  static int bucket(int relative_position, int num_buckets, int max_distance, bool bidirectional);

 private:
  int max_distance_;
  std::vector<float> by_distance_;  // [heads][2 * max_distance + 1]: every bucket a distance can reach
};

}  // namespace attn
