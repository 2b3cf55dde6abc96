#include "engine/ops/linear.h"

#include "engine/session_state.h"

namespace attn {

LinearOp::LinearOp(Tensor weight, std::optional<Tensor> bias) : weight_(weight.to_f32()) {
  if (bias) bias_ = bias->to_f32();
}

void LinearOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                   const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  LinearPrimitive& primitive =
      context.state.linear_primitives().get(x.rows, weight_.dim(1), weight_.dim(0), bias_.has_value());
  primitive.run(context.state.stream(), x.data, weight_.data_as<float>(),
                bias_ ? bias_->data_as<float>() : nullptr, output.data);
}

}  // namespace attn
