#include "engine/ops/position_embedding.h"

#include "engine/kernels/kernels.h"

namespace attn {

PositionEmbeddingOp::PositionEmbeddingOp(Tensor table) : table_(table.to_f32()) {}

// Positions stay below max_positions: the Session limits the context to it.
void PositionEmbeddingOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                              const ActivationView& output) const {
  const auto& k = kernels::active();
  const int64_t width = output_width();
  for (const SequenceSpan& sequence : context.sequences) {
    for (int64_t i = 0; i < sequence.rows; ++i) {
      const int64_t r = sequence.first_row + i;
      const float* position_row = table_.data_as<float>() + (sequence.start_position + i) * width;
      k.add(inputs[0].row(r), position_row, output.row(r), width);
    }
  }
}

}  // namespace attn
