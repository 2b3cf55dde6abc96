#include "engine/ops/mixture_of_experts.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "engine/kernels/kernels.h"
#include "engine/session_state.h"

namespace attn {
namespace {

// Each row's top_k experts and their weights, into chosen[r * top_k + i]
// and weight[...]; scratch holds 2 * experts floats.
void route(const Tensor& router, const ActivationView& x, int top_k, bool normalize, int* chosen, float* weight,
           float* scratch) {
  const auto& k = kernels::active();
  const int n = static_cast<int>(router.dim(0));
  float* probs = scratch;
  int* order = reinterpret_cast<int*>(scratch + n);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int e = 0; e < n; ++e) probs[e] = k.dot(x.row(r), router.data_as<float>() + e * x.width, x.width);
    const float sum = k.exp_shifted(probs, n);
    for (int e = 0; e < n; ++e) probs[e] /= sum;
    std::iota(order, order + n, 0);
    // Ties go to the lower expert index, as torch.topk does on CPU.
    std::partial_sort(order, order + top_k, order + n,
                      [&](int a, int b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
    float total = 0;
    for (int i = 0; i < top_k; ++i) total += probs[order[i]];
    for (int i = 0; i < top_k; ++i) {
      chosen[r * top_k + i] = order[i];
      weight[r * top_k + i] = normalize ? probs[order[i]] / total : probs[order[i]];
    }
  }
}

}  // namespace

MixtureOfExpertsOp::MixtureOfExpertsOp(const Tensor& router, const std::vector<ExpertWeights>& experts, int top_k,
                                       bool normalize_top_k, GluActivation activation)
    : router_(router.to_f32()), top_k_(top_k), normalize_top_k_(normalize_top_k), activation_(activation) {
  if (experts.empty() || top_k_ < 1 || top_k_ > static_cast<int>(experts.size()) ||
      router_.dim(0) != static_cast<int64_t>(experts.size())) {
    throw std::logic_error("MixtureOfExperts: one router row per expert, top_k between 1 and the expert count");
  }
  for (const ExpertWeights& e : experts) {
    linears_.emplace_back(e.gate);
    linears_.emplace_back(e.up);
    linears_.emplace_back(e.down);
  }
}

std::vector<ExpertWeights> MixtureOfExpertsOp::expert_weights() const {
  std::vector<ExpertWeights> experts;
  for (size_t i = 0; i < linears_.size(); i += 3) {
    experts.push_back({linears_[i].weights(), linears_[i + 1].weights(), linears_[i + 2].weights()});
  }
  return experts;
}

std::unique_ptr<MixtureOfExpertsOp> MixtureOfExpertsOp::with_experts(const std::vector<ExpertWeights>& experts) const {
  return std::make_unique<MixtureOfExpertsOp>(router_, experts, top_k_, normalize_top_k_, activation_);
}

double MixtureOfExpertsOp::active_parameters() const {
  double expert = 0;
  for (int i = 0; i < 3; ++i) expert += static_cast<double>(linears_[i].weight().numel());
  return static_cast<double>(router_.numel()) + top_k_ * expert;
}

double MixtureOfExpertsOp::active_bytes() const {
  double expert = 0;
  for (int i = 0; i < 3; ++i) expert += static_cast<double>(linears_[i].weight().nbytes_with_scales());
  return static_cast<double>(router_.nbytes()) + top_k_ * expert;
}

void MixtureOfExpertsOp::prepare(SessionState& state, int context_length) const {
  for (const LinearOp& linear : linears_) linear.prepare(state, context_length);
}

void MixtureOfExpertsOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                             const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  const int64_t rows = x.rows, hidden = x.width, inner = linears_[0].output_width();
  const int64_t experts = this->experts(), picks = rows * top_k_;
  // One step buffer (ints stored in float slots) for the routing, the
  // gathered rows and the expert's activations: nothing allocates per step.
  float* buffer = context.state.outer_step_buffer(2 * experts + 2 * picks + 2 * rows + rows * (2 * hidden + 2 * inner));
  float* scratch = buffer;
  int* chosen = reinterpret_cast<int*>(scratch + 2 * experts);
  float* weight = reinterpret_cast<float*>(chosen + picks);
  int* routed_rows = reinterpret_cast<int*>(weight + picks);
  float* routed_weight = reinterpret_cast<float*>(routed_rows + rows);
  float* activations = routed_weight + rows;
  route(router_, x, top_k_, normalize_top_k_, chosen, weight, scratch);
  std::memset(output.data, 0, output.rows * output.width * sizeof(float));

  const auto& k = kernels::active();
  for (int64_t e = 0; e < experts; ++e) {
    int64_t n = 0;  // the rows routed to expert e, with their weights
    for (int64_t i = 0; i < picks; ++i) {
      if (chosen[i] == e) routed_rows[n] = static_cast<int>(i / top_k_), routed_weight[n++] = weight[i];
    }
    if (n == 0) continue;  // its weights stay unread
    const ActivationView in{activations, n, hidden};
    const ActivationView gate{in.data + n * hidden, n, inner};
    const ActivationView up{gate.data + n * inner, n, inner};
    const ActivationView down{up.data + n * inner, n, hidden};
    for (int64_t i = 0; i < n; ++i) std::memcpy(in.row(i), x.row(routed_rows[i]), hidden * sizeof(float));
    const LinearOp* expert = &linears_[3 * e];
    expert[0].run(context, std::span(&in, 1), gate);
    expert[1].run(context, std::span(&in, 1), up);
    for (int64_t i = 0; i < n; ++i) glu(activation_, gate.row(i), up.row(i), gate.row(i), inner);
    expert[2].run(context, std::span(&gate, 1), down);
    for (int64_t i = 0; i < n; ++i) k.axpy(routed_weight[i], down.row(i), output.row(routed_rows[i]), hidden);
  }
}

std::vector<const LinearOp*> linear_ops(const Op& op) {
  if (const auto* linear = dynamic_cast<const LinearOp*>(&op)) return {linear};
  std::vector<const LinearOp*> out;
  if (const auto* moe = dynamic_cast<const MixtureOfExpertsOp*>(&op)) {
    for (const LinearOp& linear : moe->linears()) out.push_back(&linear);
  }
  return out;
}

}  // namespace attn
