#include "loaders/q4_0_format.h"

#include <cstring>

#include "attn/error.h"

namespace attn {
namespace {

constexpr std::string_view kMethod = "attn-q4_0";
constexpr int64_t kBlockBytes = 18;

}  // namespace

bool has_q4_0_entry(const Checkpoint& checkpoint) {
  const auto entry = checkpoint.config.find("quantization");
  return entry != checkpoint.config.end() && entry->is_object() && entry->contains("quant_method") &&
         (*entry)["quant_method"] == kMethod;
}

nlohmann::json q4_0_quantization_entry() {
  return {
      {"quant_method", kMethod},
      {"format", "tensor X is U8 [out, in / 32 * 18]: each row is in / 32 blocks of ggml's block_q4_0 "
                 "(f16 scale d, then 16 bytes: low nibbles weights 0-15, high nibbles 16-31), W = (q - 8) * d"},
      {"weights", {{"num_bits", 4}, {"type", "int"}, {"symmetric", true}, {"strategy", "group"}, {"group_size", 32},
                   {"rounding", "ggml quantize_row_q4_0_ref"}}},
      {"input_activations",
       {{"num_bits", 8}, {"type", "int"}, {"strategy", "group"}, {"group_size", 32}, {"dynamic", true}}},
      {"targets", {"Linear"}},
      {"head", "the LM head is I8 [out, in] with X_scale F32 [out], as quant_method attn-int8 (a tied "
               "embedding table with it)"},
      {"ignore", "Linear weights whose input width is not a multiple of 32, embeddings, norms and biases"},
  };
}

void read_q4_0_blocks(Checkpoint& checkpoint) {
  WeightStore& weights = checkpoint.weights;
  std::vector<std::string> blocks;
  for (const auto& [name, entry] : weights.entries()) {
    if (entry.tensor.dtype() == DType::U8) blocks.push_back(name);
  }
  if (blocks.empty()) return;
  if (!has_q4_0_entry(checkpoint)) {
    throw Error(checkpoint.config_source() + ": the weights hold U8 tensors ('" + blocks.front() +
                "') but config.json has no \"quantization\" entry with quant_method \"" + std::string(kMethod) +
                "\"; attn reads U8 tensors only as the Q4_0 blocks `attn quantize --type q4_0` writes");
  }
  for (const std::string& name : blocks) {
    const Tensor& bytes = weights.get(name);
    const std::string source = weights.source_of(name);
    if (bytes.rank() != 2 || bytes.dim(1) % kBlockBytes != 0) {
      throw Error(source + ": Q4_0 tensor '" + name + "' must be U8 [rows, blocks * 18], but is " +
                  shape_to_string(bytes.shape()));
    }
    const Shape shape{bytes.dim(0), bytes.dim(1) / kBlockBytes * 32};
    Tensor q4_0(DType::Q4_0, shape, bytes.data(), bytes.owner());
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint16_t) != 0) {  // the f16 scales: copy once
      Tensor aligned = Tensor::zeros(DType::Q4_0, shape);
      std::memcpy(aligned.mutable_data_as<std::byte>(), bytes.data(), bytes.nbytes());
      q4_0 = aligned;
    }
    weights.add(name, std::move(q4_0), source);
  }
}

Tensor q4_0_as_bytes(const Tensor& weight) {
  const int64_t rows = weight.dim(0);
  return Tensor(DType::U8, {rows, static_cast<int64_t>(weight.nbytes()) / rows}, weight.data(), weight.owner());
}

}  // namespace attn
