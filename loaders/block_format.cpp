#include "loaders/block_format.h"

#include <cstring>

#include "attn/error.h"

namespace attn {
namespace {

constexpr std::string_view kMethod = "attn-ggml-blocks";
constexpr std::string_view kTypesKey = "tensor_types";

}  // namespace

bool has_block_entry(const Checkpoint& checkpoint) {
  const auto entry = checkpoint.config.find("quantization");
  return entry != checkpoint.config.end() && entry->is_object() && entry->contains("quant_method") &&
         (*entry)["quant_method"] == kMethod;
}

nlohmann::json block_quantization_entry(const std::map<std::string, DType>& types) {
  nlohmann::json names = nlohmann::json::object();
  for (const auto& [name, type] : types) names[name] = weight_type_name(type);
  return {
      {"quant_method", kMethod},
      {"format", "tensor X of a block type is U8 [out, in / B * S], each row in / B of ggml's blocks of the type "
                 "(B values in S bytes: q4_0 32 in 18, q8_0 32 in 34, q4_k 256 in 144, q6_k 256 in 210), the "
                 "bytes a GGUF tensor of that type holds"},
      {"rounding", "ggml's reference quantisers (quantize_row_*_ref)"},
      {"input_activations", "quantised per row at run time as ggml does: q8_0 blocks for q4_0 and q8_0, q8_K "
                            "for q4_k and q6_k"},
      {std::string(kTypesKey), names},
  };
}

void read_block_tensors(Checkpoint& checkpoint) {
  WeightStore& weights = checkpoint.weights;
  std::vector<std::string> blocks;
  for (const auto& [name, entry] : weights.entries()) {
    if (entry.tensor.dtype() == DType::U8) blocks.push_back(name);
  }
  if (blocks.empty()) return;
  if (!has_block_entry(checkpoint)) {
    throw Error(checkpoint.config_source() + ": the weights hold U8 tensors ('" + blocks.front() +
                "') but config.json has no \"quantization\" entry with quant_method \"" + std::string(kMethod) +
                "\"; attn reads U8 tensors only as the ggml blocks `attn quantize` writes");
  }
  const nlohmann::json& entry = checkpoint.config["quantization"];
  const nlohmann::json types = entry.contains(kTypesKey) ? entry[kTypesKey] : nlohmann::json();
  for (const std::string& name : blocks) {
    const Tensor& bytes = weights.get(name);
    const std::string source = weights.source_of(name);
    if (!types.is_object() || !types.contains(name) || !types[name].is_string()) {
      throw Error(checkpoint.config_source() + ": quantization." + std::string(kTypesKey) +
                  " does not name the block type of U8 tensor '" + name + "'");
    }
    const std::optional<DType> type = parse_weight_type(types[name].get<std::string>());
    if (!type || dtype_block_elements(*type) == 1) {
      throw Error(checkpoint.config_source() + ": quantization." + std::string(kTypesKey) + "." + name + " is " +
                  types[name].dump() + "; expected q4_0, q8_0, q4_k or q6_k");
    }
    const auto block_bytes = static_cast<int64_t>(dtype_block_bytes(*type));
    if (bytes.rank() != 2 || bytes.dim(1) % block_bytes != 0) {
      throw Error(source + ": " + std::string(dtype_name(*type)) + " tensor '" + name + "' must be U8 [rows, blocks * " +
                  std::to_string(block_bytes) + "], but is " + shape_to_string(bytes.shape()));
    }
    const Shape shape{bytes.dim(0), bytes.dim(1) / block_bytes * dtype_block_elements(*type)};
    Tensor blocks_tensor(*type, shape, bytes.data(), bytes.owner());
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint16_t) != 0) {  // the f16 scales: copy once
      Tensor aligned = Tensor::zeros(*type, shape);
      std::memcpy(aligned.mutable_data_as<std::byte>(), bytes.data(), bytes.nbytes());
      blocks_tensor = aligned;
    }
    weights.add(name, std::move(blocks_tensor), source);
  }
}

Tensor blocks_as_bytes(const Tensor& weight) {
  const int64_t rows = weight.dim(0);
  return Tensor(DType::U8, {rows, static_cast<int64_t>(weight.nbytes()) / rows}, weight.data(), weight.owner());
}

}  // namespace attn
