#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// x / sqrt(mean(x^2) + eps) * weight, per row (Llama's RMSNorm).
class RmsNormOp : public Op {
 public:
  RmsNormOp(Tensor weight, float eps);
  std::string_view name() const override { return "RMSNorm"; }
  int64_t output_width() const override { return weight_.numel(); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor weight_;  // f32
  float eps_;
};

}  // namespace attn
