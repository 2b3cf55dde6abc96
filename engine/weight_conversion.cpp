#include "engine/weight_conversion.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <regex>
#include <stdexcept>

#include "engine/kernels/kernels.h"
#include "engine/mapped_file.h"
#include "engine/ops/embedding.h"
#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/quant_blocks.h"

namespace attn {
namespace {

Tensor quantize_int8_rows(const Tensor& weight) {
  const Tensor source = weight.to_f32();
  const int64_t rows = weight.dim(0), width = weight.numel() / rows;
  Tensor values = Tensor::zeros(DType::I8, weight.shape());
  Tensor scales = Tensor::zeros(DType::F32, {rows});
  // The activation quantiser, so weights and activations share one rounding rule.
  const auto quantize_row = kernels::active().int8.quantize_row;
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r) {
    scales.mutable_data_as<float>()[r] =
        quantize_row(source.data_as<float>() + r * width, values.mutable_data_as<int8_t>() + r * width, width);
  }
  return values.with_row_scales(std::move(scales));
}

// Rows of ggml blocks by ggml's reference quantiser (engine/quant_blocks.h).
Tensor quantize_block_rows(const Tensor& weight, DType type) {
  const Tensor source = weight.to_f32();
  const int64_t rows = weight.dim(0), width = weight.numel() / rows;
  Tensor out = Tensor::zeros(type, weight.shape());
  const size_t row_bytes = dtype_row_bytes(type, width);
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r) {
    quantize_blocks(type, source.data_as<float>() + r * width, out.mutable_data_as<std::byte>() + r * row_bytes, width);
  }
  return out;
}

Tensor to_16_bit(const Tensor& weight, DType target) {
  const Tensor source = weight.to_f32();
  Tensor out = Tensor::zeros(target, weight.shape());
  const auto convert = target == DType::F16 ? f32_to_f16 : f32_to_bf16;
  const int64_t n = weight.numel();
#pragma omp parallel for
  for (int64_t i = 0; i < n; ++i) out.mutable_data_as<uint16_t>()[i] = convert(source.data_as<float>()[i]);
  return out;
}

// llama.cpp's fallbacks (llama_tensor_get_type) for rows that do not fit a
// type's blocks: Q4_K -> Q5_0, which attn lacks, so Q4_0, the nearest it
// has; Q6_K -> Q8_0. nullopt when nothing fits (llama.cpp writes F16 then;
// attn keeps the weight as stored).
std::optional<DType> fitting_type(DType type, int64_t width) {
  if (width % dtype_block_elements(type) == 0) return type;
  if (type == DType::Q4_K) return fitting_type(DType::Q4_0, width);
  if (type == DType::Q6_K) return fitting_type(DType::Q8_0, width);
  return std::nullopt;
}

// The layer a checkpoint tensor belongs to ("model.layers.3.mlp.down_proj.weight": 3).
std::optional<int> layer_of(const std::string& source) {
  static const std::regex layer(R"((?:^|\.)(?:layers|layer|h|blocks)\.(\d+)\.)");
  std::smatch match;
  if (!std::regex_search(source, match, layer)) return std::nullopt;
  return std::stoi(match[1]);
}

// The weights llama.cpp calls attn_v and ffn_down (experts' included).
bool is_value_or_down_projection(const std::string& source) {
  for (const char* name : {".v_proj.", ".down_proj.", ".w2.", ".fc2."}) {
    if (source.find(name) != std::string::npos) return true;
  }
  return false;
}

// Which type each Linear weight gets under a target type, as llama.cpp's
// llama_tensor_get_type picks them for the matching llama-quantize type.
class BlockTypeChoice {
 public:
  BlockTypeChoice(const Graph& graph, DType target, bool q4_k_m) : target_(target), q4_k_m_(q4_k_m) {
    for (const Node& node : graph.nodes()) {
      for (const LinearOp* linear : linear_ops(*node.op)) {
        if (const auto layer = layer_of(linear->weights().source)) layers_ = std::max(layers_, *layer + 1);
      }
    }
  }

  // nullopt: keep the weight as it is.
  std::optional<DType> type_of(const LinearWeights& weights, bool is_head) const {
    if (dtype_block_elements(target_) == 1) return target_;
    DType type = target_;
    if (is_head) {
      // output.weight: Q6_K, or Q8_0 under Q8_0 (or when Q6_K does not fit).
      type = target_ == DType::Q8_0 ? DType::Q8_0 : DType::Q6_K;
    } else if (q4_k_m_ && is_value_or_down_projection(weights.source)) {
      // Q4_K_M: Q6_K for the layers use_more_bits picks: the first and last
      // eighth, and every third between.
      const std::optional<int> layer = layer_of(weights.source);
      const int n = layers_;
      if (layer && (*layer < n / 8 || *layer >= 7 * n / 8 || (*layer - n / 8) % 3 == 2)) type = DType::Q6_K;
    }
    return fitting_type(type, weights.weight.dim(-1));
  }

 private:
  DType target_;
  bool q4_k_m_;
  int layers_ = 0;
};

}  // namespace

bool can_convert(const Tensor& weight, DType target) {
  return weight.rank() >= 1 && weight.dim(-1) % dtype_block_elements(target) == 0;
}

Tensor convert_weight(const Tensor& weight, DType target) {
  if (weight.dtype() == target) return weight;
  switch (target) {
    case DType::F32: return weight.to_f32();
    case DType::F16:
    case DType::BF16: return to_16_bit(weight, target);
    case DType::I8: return quantize_int8_rows(weight);
    case DType::Q4_0:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q6_K: return quantize_block_rows(weight, target);
    default: throw std::logic_error("convert_weight: weights are stored as F32, F16, BF16, I8 or a block type");
  }
}

void rewrite_linear_weights(Graph& graph, const std::function<void(LinearWeights&, bool is_output)>& rewrite) {
  for (const Node& node : graph.nodes()) {
    if (const auto* moe = dynamic_cast<const MixtureOfExpertsOp*>(node.op.get())) {
      std::vector<ExpertWeights> experts = moe->expert_weights();
      for (ExpertWeights& e : experts) {
        for (LinearWeights* w : {&e.gate, &e.up, &e.down}) rewrite(*w, false);
      }
      graph.replace_op(node.output, moe->with_experts(experts));
      continue;
    }
    const auto* linear = dynamic_cast<const LinearOp*>(node.op.get());
    if (!linear) continue;
    LinearWeights weights = linear->weights();
    rewrite(weights, node.output == graph.output());
    if (graph.tie() && graph.tie()->head == node.output && weights.weight.data() != linear->weight().data()) {
      graph.replace_op(graph.tie()->embedding, std::make_unique<EmbeddingOp>(weights.weight));
    }
    graph.replace_op(node.output, std::make_unique<LinearOp>(std::move(weights)));
  }
}

void convert_linear_weights(Graph& graph, DType target, bool q4_k_m) {
  const BlockTypeChoice choice(graph, target, q4_k_m);
  rewrite_linear_weights(graph, [&](LinearWeights& weights, bool is_output) {
    const std::optional<DType> type = choice.type_of(weights, is_output);
    if (!type || weights.weight.dtype() == *type) return;
    const Tensor source = weights.weight;
    weights.weight = convert_weight(source, *type);
    // Only the converted copy is read from now on (a tied embedding's too).
    release_pages(source.data(), source.nbytes());
  });
}

void add_bf16_matmul_weights(Graph& graph) {
  rewrite_linear_weights(graph, [](LinearWeights& weights, bool) {
    const DType type = weights.weight.dtype();
    if (type == DType::F32 || type == DType::F16 || type == DType::BF16) {
      weights.bf16_matmul_weight = convert_weight(weights.weight, DType::BF16);
    }
  });
}

}  // namespace attn
