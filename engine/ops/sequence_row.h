#pragma once

#include "engine/op.h"

namespace attn {

// One row per sequence of the step: its first ([CLS], what BERT's pooler and
// classifier read) or its last (what decoder classifiers read).
class SequenceRowOp : public Op {
 public:
  enum class Which { First, Last };
  SequenceRowOp(int64_t width, Which which) : width_(width), which_(which) {}
  std::string_view name() const override { return which_ == Which::First ? "FirstRow" : "SequenceLastRow"; }
  int64_t output_width() const override { return width_; }
  int64_t rows_in_step(const RunContext& context, int64_t) const override {
    return static_cast<int64_t>(context.sequences.size());
  }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
  Which which_;
};

}  // namespace attn
