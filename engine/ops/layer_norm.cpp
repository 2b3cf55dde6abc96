#include "engine/ops/layer_norm.h"

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"

namespace attn {

LayerNormOp::LayerNormOp(Tensor weight, Tensor bias, float eps)
    : weight_(weight.to_f32()), bias_(bias.to_f32()), eps_(eps) {}

void LayerNormOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const auto& k = kernels::active();
  const ActivationView& x = inputs[0];
  const float* weight = weight_.data_as<float>();
  const float* bias = bias_.data_as<float>();
#pragma omp parallel for if (worth_parallel(x.rows * x.width))
  for (int64_t r = 0; r < x.rows; ++r) k.layer_norm(x.row(r), weight, bias, output.row(r), x.width, eps_);
}

}  // namespace attn
