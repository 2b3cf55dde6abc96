#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// Rows of the embedding table for the step's token ids. The table stays in
// its stored dtype (f32/f16/bf16, or int8 with row scales when it doubles as
// a quantised LM head); rows are converted as they are gathered.
class EmbeddingOp : public Op {
 public:
  explicit EmbeddingOp(Tensor table);
  std::string_view name() const override { return "Embedding"; }
  int64_t output_width() const override { return table_.dim(1); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  const Tensor& table() const { return table_; }

 private:
  Tensor table_;
};

}  // namespace attn
