#pragma once

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// x + table[token type] per row (BERT's segment embeddings); the step's
// types come from the run context, all 0 when it gives none.
class TokenTypeEmbeddingOp : public Op {
 public:
  explicit TokenTypeEmbeddingOp(Tensor table) : table_(table.to_f32()) {}
  std::string_view name() const override { return "TokenTypeEmbedding"; }
  int64_t output_width() const override { return table_.dim(1); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  Tensor table_;  // f32 [types, width]
};

}  // namespace attn
