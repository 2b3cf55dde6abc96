#include "engine/ops/embedding.h"

#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/quant_blocks.h"

namespace attn {

EmbeddingOp::EmbeddingOp(Tensor table) : table_(std::move(table)) {}

void EmbeddingOp::run(const RunContext& context, std::span<const ActivationView>, const ActivationView& output) const {
  const int64_t width = output_width();
  const auto& k = kernels::active();
  for (int64_t r = 0; r < output.rows; ++r) {
    const int64_t offset = static_cast<int64_t>(context.tokens[r]) * width;  // ids validated by the Session
    float* out = output.row(r);
    switch (table_.dtype()) {
      case DType::F32: std::memcpy(out, table_.data_as<float>() + offset, width * sizeof(float)); break;
      case DType::F16: k.f16_to_f32(table_.data_as<uint16_t>() + offset, out, width); break;
      case DType::BF16: k.bf16_to_f32(table_.data_as<uint16_t>() + offset, out, width); break;
      case DType::I8:  // a table shared with a quantised LM head
        kernels::active().int8.dequantize_row(table_.data_as<int8_t>() + offset,
                                              table_.row_scales()->data_as<float>()[context.tokens[r]], out, width);
        break;
      case DType::Q4_0:  // a table shared with a block-type LM head
      case DType::Q8_0:
      case DType::Q4_1:
      case DType::Q5_1:
      case DType::Q4_K:
      case DType::Q5_K:
      case DType::Q6_K:
      case DType::Q8_K:
      case DType::IQ4_XS:
        dequantize_blocks(table_.dtype(), table_.data_as<std::byte>() + dtype_row_bytes(table_.dtype(), offset), out,
                          width);
        break;
      default: break;  // rejected at construction by the builder
    }
  }
}

}  // namespace attn
