#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// x / sqrt(mean(x^2) + eps) * (weight + weight_offset) over each group of
// weight.numel() values of a row: the whole row (Llama's RMSNorm), or each
// head of a q/k projection (Qwen3's and Gemma 3's q_norm/k_norm). Gemma
// stores its norm weights around 0 and multiplies by (1 + w): offset 1.
class RmsNormOp : public Op {
 public:
  RmsNormOp(Tensor weight, float eps, float weight_offset = 0, int64_t row_width = 0);
  std::string_view name() const override { return "RMSNorm"; }
  int64_t output_width() const override { return row_width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor weight_;  // f32, offset applied
  float eps_;
  int64_t row_width_;
};

}  // namespace attn
