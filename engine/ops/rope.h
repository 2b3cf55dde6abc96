// Rotary position embedding. Two conventions rotate different pairs of a
// head's dimensions: Hugging Face's rotate-half pairs (i, i + d/2), llama2.c
// (and the original Meta code) pairs (2i, 2i + 1). Checkpoints are exported
// for one or the other, so the loader's config picks.
#pragma once

#include <vector>

namespace attn {

enum class RopeStyle { HalfSplit, Interleaved };

class RotaryTable {
 public:
  RotaryTable(int head_dim, int max_positions, double theta, RopeStyle style);
  // Rotates one head vector (head_dim floats) in place for `position`.
  void apply(float* head, int position) const;
  int max_positions() const { return max_positions_; }

 private:
  int head_dim_;
  int max_positions_;
  RopeStyle style_;
  std::vector<float> cos_, sin_;  // [position][head_dim / 2]
};

}  // namespace attn
