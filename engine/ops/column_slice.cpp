#include "engine/ops/column_slice.h"

#include <cstring>

namespace attn {

void ColumnSliceOp::run(const RunContext&, std::span<const ActivationView> inputs, const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  for (int64_t r = 0; r < x.rows; ++r) std::memcpy(output.row(r), x.row(r) + first_, width_ * sizeof(float));
}

}  // namespace attn
