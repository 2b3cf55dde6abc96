#pragma once

#include "engine/op.h"

namespace attn {

// Columns [first, first + width) of each row: the parts of a fused
// projection's output (Phi-3's qkv_proj, gate_up_proj), so the fused weight
// is read once, as stored.
class ColumnSliceOp : public Op {
 public:
  ColumnSliceOp(int64_t first, int64_t width) : first_(first), width_(width) {}
  std::string_view name() const override { return "ColumnSlice"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t first_, width_;
};

}  // namespace attn
