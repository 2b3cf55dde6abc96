#include "engine/ops/rms_norm.h"

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"

namespace attn {

RmsNormOp::RmsNormOp(Tensor weight, float eps) : weight_(weight.to_f32()), eps_(eps) {}

void RmsNormOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const auto& k = kernels::active();
  const ActivationView& x = inputs[0];
#pragma omp parallel for if (worth_parallel(x.rows * x.width))
  for (int64_t r = 0; r < x.rows; ++r) k.rms_norm(x.row(r), weight_.data_as<float>(), output.row(r), x.width, eps_);
}

}  // namespace attn
