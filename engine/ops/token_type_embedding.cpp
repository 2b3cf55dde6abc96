#include "engine/ops/token_type_embedding.h"

#include "engine/kernels/kernels.h"

namespace attn {

// Types are below the table's size: the Session checks them against the model.
void TokenTypeEmbeddingOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                               const ActivationView& output) const {
  const auto& k = kernels::active();
  const int64_t width = output_width();
  for (int64_t r = 0; r < output.rows; ++r) {
    const int32_t type = context.token_types.empty() ? 0 : context.token_types[r];
    k.add(inputs[0].row(r), table_.data_as<float>() + type * width, output.row(r), width);
  }
}

}  // namespace attn
