#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// (x - mean) / sqrt(var + eps) * weight + bias, per row (GPT-2's and BERT's LayerNorm).
class LayerNormOp : public Op {
 public:
  LayerNormOp(Tensor weight, Tensor bias, float eps);
  std::string_view name() const override { return "LayerNorm"; }
  int64_t output_width() const override { return weight_.numel(); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor weight_, bias_;  // f32
  float eps_;
};

}  // namespace attn
