#include "engine/ops/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"

namespace attn {

void AddOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  kernels::active().add(inputs[0].data, inputs[1].data, output.data, inputs[0].rows * width_);
}

void glu(GluActivation activation, const float* gate, const float* up, float* out, int64_t n) {
  const auto& k = kernels::active();
  if (activation == GluActivation::Silu) return k.silu_mul(gate, up, out, n);
  if (out != gate) std::memcpy(out, gate, n * sizeof(float));
  k.gelu_tanh(out, n);
  for (int64_t i = 0; i < n; ++i) out[i] *= up[i];
}

void GluOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const ActivationView& gate = inputs[0];
  const ActivationView& up = inputs[1];
#pragma omp parallel for if (worth_parallel(gate.rows * gate.width))
  for (int64_t r = 0; r < gate.rows; ++r) glu(activation_, gate.row(r), up.row(r), output.row(r), width_);
}

// The LM head's logits, once per step: a scalar loop is enough.
void SoftCapOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const int64_t n = inputs[0].rows * width_;
  for (int64_t i = 0; i < n; ++i) output.data[i] = cap_ * std::tanh(inputs[0].data[i] / cap_);
}

void SiluOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const int64_t n = inputs[0].rows * width_;
#pragma omp parallel for if (worth_parallel(n))
  for (int64_t i = 0; i < n; ++i) output.data[i] = inputs[0].data[i] / (1.f + std::exp(-inputs[0].data[i]));
}

void ReluOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const int64_t n = inputs[0].rows * width_;
  for (int64_t i = 0; i < n; ++i) output.data[i] = std::max(inputs[0].data[i], 0.f);
}

void ScaleOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const int64_t n = inputs[0].rows * width_;
  for (int64_t i = 0; i < n; ++i) output.data[i] = inputs[0].data[i] * factor_;
}

// Heads run on one row per sequence: too little work to vectorise.
void TanhOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const int64_t n = inputs[0].rows * width_;
  for (int64_t i = 0; i < n; ++i) output.data[i] = std::tanh(inputs[0].data[i]);
}

void LastRowOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  const int64_t first = x.rows - output.rows;
  std::memcpy(output.data, x.row(first), output.rows * width_ * sizeof(float));
}

}  // namespace attn
