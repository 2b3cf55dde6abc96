#pragma once

#include "engine/op.h"

namespace attn {

// The two GELUs checkpoints name in their config: "gelu" (exact, erf; BERT)
// and "gelu_new" / "gelu_pytorch_tanh" (tanh approximation; GPT-2).
enum class GeluKind { Erf, Tanh };

class GeluOp : public Op {
 public:
  GeluOp(int64_t width, GeluKind kind) : width_(width), kind_(kind) {}
  std::string_view name() const override { return kind_ == GeluKind::Erf ? "GELU" : "GELU-tanh"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
  GeluKind kind_;
};

}  // namespace attn
