#pragma once

#include <optional>

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// y = x W^T + b with W stored [out_features, in_features] (the layout of
// PyTorch's nn.Linear and of every checkpoint format we read).
class LinearOp : public Op {
 public:
  LinearOp(Tensor weight, std::optional<Tensor> bias);
  std::string_view name() const override { return "Linear"; }
  int64_t output_width() const override { return weight_.dim(0); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor weight_;               // f32, converted once at load if stored in 16 bits
  std::optional<Tensor> bias_;  // f32
};

}  // namespace attn
