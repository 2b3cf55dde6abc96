#include "engine/ops/rms_norm.h"

#include <stdexcept>

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"

namespace attn {
namespace {

Tensor offset_weight(const Tensor& weight, float offset) {
  if (offset == 0) return weight.to_f32();
  const Tensor f32 = weight.to_f32();
  Tensor shifted = Tensor::zeros(DType::F32, {f32.numel()});
  for (int64_t i = 0; i < f32.numel(); ++i) shifted.mutable_data_as<float>()[i] = f32.data_as<float>()[i] + offset;
  return shifted;
}

}  // namespace

RmsNormOp::RmsNormOp(Tensor weight, float eps, float weight_offset, int64_t row_width)
    : weight_(offset_weight(weight, weight_offset)), eps_(eps), row_width_(row_width > 0 ? row_width : weight.numel()) {
  if (row_width_ % weight_.numel() != 0) throw std::logic_error("RMSNorm: row width is not a multiple of the weight");
}

void RmsNormOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const auto& k = kernels::active();
  const ActivationView& x = inputs[0];
  const int64_t group = weight_.numel();
#pragma omp parallel for if (worth_parallel(x.rows * x.width))
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int64_t g = 0; g < x.width; g += group) {
      k.rms_norm(x.row(r) + g, weight_.data_as<float>(), output.row(r) + g, group, eps_);
    }
  }
}

}  // namespace attn
