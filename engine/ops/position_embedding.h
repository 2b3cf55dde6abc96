#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// x + table[position] per row, with each row's position taken from its
// sequence in the run context (learned absolute positions: GPT-2, BERT).
class PositionEmbeddingOp : public Op {
 public:
  explicit PositionEmbeddingOp(Tensor table);
  std::string_view name() const override { return "PositionEmbedding"; }
  int64_t output_width() const override { return table_.dim(1); }
  int max_positions() const { return static_cast<int>(table_.dim(0)); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor table_;  // f32 [positions, width]
};

}  // namespace attn
