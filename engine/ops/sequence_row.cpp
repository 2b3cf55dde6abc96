#include "engine/ops/sequence_row.h"

#include <cstring>

namespace attn {

void SequenceRowOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                        const ActivationView& output) const {
  for (size_t s = 0; s < context.sequences.size(); ++s) {
    const SequenceSpan& sequence = context.sequences[s];
    const int64_t row = which_ == Which::First ? sequence.first_row : sequence.first_row + sequence.rows - 1;
    std::memcpy(output.row(static_cast<int64_t>(s)), inputs[0].row(row), width_ * sizeof(float));
  }
}

}  // namespace attn
