#pragma once

#include <span>
#include <vector>

#include "engine/op.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/linear.h"

namespace attn {

// One expert of a sparse mixture: a gated feed-forward network,
// down(act(gate x) * up x).
struct ExpertWeights {
  LinearWeights gate = {}, up = {}, down = {};
};

// A sparse mixture-of-experts feed-forward layer (Mixtral, Qwen3-MoE) on x
// [rows, hidden]. The router (a Linear [experts, hidden], kept in f32 so
// that --dtype never changes which experts a token picks) scores each row;
// the row goes to the top_k experts of softmax(scores), weighted by their
// probabilities (renormalised to sum to 1 when `normalize_top_k`). The rows
// routed to an expert are gathered and run through it together, so an
// expert's weights are read once per step, and not at all when no row
// chose it: decoding streams the active parameters only.
class MixtureOfExpertsOp : public Op {
 public:
  MixtureOfExpertsOp(const Tensor& router, const std::vector<ExpertWeights>& experts, int top_k, bool normalize_top_k,
                     GluActivation activation);
  std::string_view name() const override { return "MixtureOfExperts"; }
  int64_t output_width() const override { return linears_[2].output_width(); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  void prepare(SessionState& state, int context_length) const override;

  const Tensor& router() const { return router_; }
  int experts() const { return static_cast<int>(linears_.size() / 3); }
  int top_k() const { return top_k_; }
  // gate, up, down of expert 0, then of expert 1, ...
  std::span<const LinearOp> linears() const { return linears_; }
  std::vector<ExpertWeights> expert_weights() const;
  // The same mixture over other expert weights (the --dtype pass).
  std::unique_ptr<MixtureOfExpertsOp> with_experts(const std::vector<ExpertWeights>& experts) const;
  // Parameters and bytes one token reads: the router and top_k experts
  // (the experts are alike, so the first stands for any).
  double active_parameters() const;
  double active_bytes() const;

 private:
  Tensor router_;  // f32 [experts, hidden]
  std::vector<LinearOp> linears_;
  int top_k_;
  bool normalize_top_k_;
  GluActivation activation_;
};

// The Linear ops `op` is or holds (a mixture's experts): for passes and
// reports over every weight matrix of a graph.
std::vector<const LinearOp*> linear_ops(const Op& op);

}  // namespace attn
