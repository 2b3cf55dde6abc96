// Rotary position embedding. Two conventions rotate different pairs of a
// head's dimensions: Hugging Face's rotate-half pairs (i, i + d/2), llama2.c
// (and the original Meta code) pairs (2i, 2i + 1). Checkpoints are exported
// for one or the other, so the loader's config picks.
//
// Which frequencies rotate is the model's business (models/rope_scaling.h
// reads them from config.json's rope_scaling): RopeFrequencies carries them.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

enum class RopeStyle { HalfSplit, Interleaved };

struct RopeFrequencies {
  // theta^(-2i/rotary_dim) for i < rotary_dim / 2: plain RoPE.
  static RopeFrequencies standard(double theta, int rotary_dim);

  int rotary_dim = 0;            // leading dimensions of each head that rotate (partial rotary); even
  std::vector<double> inv_freq;  // rotary_dim / 2 angular frequencies
  double attention_factor = 1.0; // cos and sin are scaled by it (YaRN's mscale, LongRoPE's)
  // LongRoPE: steps whose sequence reaches beyond `long_after` positions use
  // these instead (as Hugging Face switches on the forward's length).
  std::vector<double> long_inv_freq;
  int long_after = 0;
};

// Rotates head vectors by their position. The angles are computed per position
// (in double, as a table would be) rather than looked up: a table for every
// position a long-context model allows (131072 for Llama 3.2, 2^20 and more
// in some configs) would cost more memory than the model, per layer.
class Rotary {
 public:
  Rotary(int head_dim, const RopeFrequencies& frequencies, RopeStyle style);
  // Rotates one head vector (head_dim floats) in place for `position`, with
  // the long frequencies when `long_factors` (see uses_long).
  void apply(float* head, int position, bool long_factors = false) const;
  // Whether a step covering positions up to `sequence_length` - 1 uses the long table.
  bool uses_long(int sequence_length) const { return !long_inv_freq_.empty() && sequence_length > long_after_; }

 private:
  struct Angles {
    uint64_t rotary_id = 0;  // 0: no Rotary's
    int position = 0;
    bool long_factors = false;
    std::vector<float> cos, sin;  // rotary_dim / 2 each, attention_factor applied
  };
  const Angles& angles(int position, bool long_factors) const;

  uint64_t id_;
  int rotary_dim_;
  int long_after_;
  RopeStyle style_;
  double factor_;
  std::vector<double> inv_freq_, long_inv_freq_;
};

}  // namespace attn
