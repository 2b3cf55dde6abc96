#include "loaders/int8_format.h"

#include "attn/error.h"
#include "loaders/q4_0_format.h"

namespace attn {
namespace {

constexpr std::string_view kMethod = "attn-int8";

std::string scale_name(const std::string& name) { return name + std::string(kInt8ScaleSuffix); }

void check_entry(const Checkpoint& checkpoint) {
  const auto entry = checkpoint.config.find("quantization");
  if (entry == checkpoint.config.end()) {
    throw Error(checkpoint.config_source() + ": the weights hold I8 tensors but there is no \"quantization\" entry "
                "describing them; attn reads int8 checkpoints written by `attn quantize`");
  }
  const bool named = entry->is_object() && entry->contains("quant_method") && (*entry)["quant_method"].is_string();
  const std::string method = named ? (*entry)["quant_method"].get<std::string>() : "";
  if (method != kMethod && !has_q4_0_entry(checkpoint)) {
    throw Error(checkpoint.config_source() + ": quantization " + entry->dump() + " is not supported; attn reads "
                "its own per-channel int8 scheme (quant_method \"" + std::string(kMethod) + "\", see `attn quantize`)");
  }
}

}  // namespace

nlohmann::json int8_quantization_entry() {
  return {
      {"quant_method", kMethod},
      {"format", "tensor X is I8 [out, in] and X_scale is F32 [out]: W[r, :] = X[r, :] * X_scale[r]"},
      {"weights",
       {{"num_bits", 8}, {"type", "int"}, {"symmetric", true}, {"strategy", "channel"}, {"dynamic", false},
        {"range", {-127, 127}}, {"scale", "max(|W[r, :]|) / 127"}, {"rounding", "nearest, ties to even"}}},
      {"input_activations",
       {{"num_bits", 8}, {"type", "int"}, {"symmetric", true}, {"strategy", "token"}, {"dynamic", true}}},
      {"targets", {"Linear"}},
      {"ignore", "embeddings (a tied LM head is quantised with its embedding table), norms and biases"},
  };
}

void attach_int8_scales(Checkpoint& checkpoint) {
  WeightStore& weights = checkpoint.weights;
  std::vector<std::string> quantized;
  for (const auto& [name, entry] : weights.entries()) {
    if (entry.tensor.dtype() == DType::I8) quantized.push_back(name);
  }
  if (quantized.empty()) return;
  check_entry(checkpoint);
  for (const std::string& name : quantized) {
    const Tensor& values = weights.get(name);
    const Tensor* scales = weights.find(scale_name(name));
    const std::string& source = weights.source_of(name);
    if (!scales) {
      throw Error(source + ": int8 tensor '" + name + "' has no '" + scale_name(name) +
                  "' tensor of scales; the checkpoint is incomplete");
    }
    if (values.rank() < 1 || scales->dtype() != DType::F32 || scales->shape() != Shape{values.dim(0)}) {
      throw Error(weights.source_of(scale_name(name)) + ": '" + scale_name(name) + "' must be F32 " +
                  shape_to_string({values.rank() < 1 ? 0 : values.dim(0)}) + " (one scale per row of '" + name +
                  "'), but is " + std::string(dtype_name(scales->dtype())) + " " + shape_to_string(scales->shape()));
    }
    Tensor scaled = values.with_row_scales(*scales);
    weights.remove(scale_name(name));
    weights.add(name, std::move(scaled), source);
  }
}

std::vector<std::pair<std::string, Tensor>> tensors_for_safetensors(const WeightStore& weights) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, entry] : weights.entries()) {
    tensors.emplace_back(name, entry.tensor.dtype() == DType::Q4_0 ? q4_0_as_bytes(entry.tensor) : entry.tensor);
    if (const Tensor* scales = entry.tensor.row_scales()) tensors.emplace_back(scale_name(name), *scales);
  }
  return tensors;
}

}  // namespace attn
