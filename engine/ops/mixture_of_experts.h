#pragma once

#include <vector>

#include "engine/op.h"
#include "engine/ops/linear.h"

namespace attn {

// One expert of a sparse mixture: a SwiGLU feed-forward network,
// down(silu(gate x) * up x).
struct Expert {
  LinearOp gate, up, down;
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
  MixtureOfExpertsOp(const Tensor& router, std::vector<Expert> experts, int top_k, bool normalize_top_k);
  std::string_view name() const override { return "MixtureOfExperts"; }
  int64_t output_width() const override { return experts_.front().down.output_width(); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  void prepare(SessionState& state, int context_length) const override;

  const Tensor& router() const { return router_; }
  const std::vector<Expert>& experts() const { return experts_; }
  int top_k() const { return top_k_; }
  bool normalize_top_k() const { return normalize_top_k_; }

 private:
  Tensor router_;  // f32 [experts, hidden]
  std::vector<Expert> experts_;
  int top_k_;
  bool normalize_top_k_;
};

}  // namespace attn
