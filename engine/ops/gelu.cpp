#include "engine/ops/gelu.h"

#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"

namespace attn {

void GeluOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const auto& k = kernels::active();
  const auto gelu = kind_ == GeluKind::Erf ? k.gelu_erf : k.gelu_tanh;
  const ActivationView& x = inputs[0];
#pragma omp parallel for if (worth_parallel(x.rows * x.width))
  for (int64_t r = 0; r < x.rows; ++r) {
    std::memcpy(output.row(r), x.row(r), width_ * sizeof(float));
    gelu(output.row(r), width_);
  }
}

}  // namespace attn
