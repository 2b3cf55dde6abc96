#include "engine/graph_builder.h"

#include <stdexcept>
#include <string>

#include "engine/ops/elementwise.h"
#include "engine/ops/embedding.h"
#include "engine/ops/layer_norm.h"
#include "engine/ops/linear.h"
#include "engine/ops/position_embedding.h"
#include "engine/ops/rms_norm.h"
#include "engine/ops/sequence_row.h"
#include "engine/ops/token_type_embedding.h"

namespace attn {

int64_t GraphBuilder::width(ValueId value) const { return graph_.nodes().at(value).op->output_width(); }

// Model builders check weight shapes against the config before calling us;
// a mismatch here is a bug in a builder, not bad input.
void GraphBuilder::require_width(ValueId value, int64_t expected, const char* what) const {
  if (width(value) != expected) {
    throw std::logic_error(std::string("GraphBuilder: ") + what + " expects width " + std::to_string(expected) +
                           ", got " + std::to_string(width(value)));
  }
}

ValueId GraphBuilder::embedding(const Tensor& table) {
  const bool readable = table.dtype() == DType::F32 || table.dtype() == DType::F16 || table.dtype() == DType::BF16 ||
                        table.dtype() == DType::Q4_0 || (table.dtype() == DType::I8 && table.row_scales());
  if (table.rank() != 2 || !readable) {
    throw std::logic_error("GraphBuilder: embedding table must be a 2-D float (or scaled int8, or Q4_0) tensor");
  }
  return graph_.add(std::make_unique<EmbeddingOp>(table), {});
}

ValueId GraphBuilder::rms_norm(ValueId x, const Tensor& weight, float eps, float weight_offset) {
  require_width(x, weight.numel(), "RMSNorm");
  return graph_.add(std::make_unique<RmsNormOp>(weight, eps, weight_offset), {x});
}

ValueId GraphBuilder::head_rms_norm(ValueId x, const Tensor& weight, float eps, float weight_offset) {
  if (weight.numel() == 0 || width(x) % weight.numel() != 0) {
    throw std::logic_error("GraphBuilder: per-head RMSNorm weight does not divide the row");
  }
  return graph_.add(std::make_unique<RmsNormOp>(weight, eps, weight_offset, width(x)), {x});
}

ValueId GraphBuilder::layer_norm(ValueId x, const Tensor& weight, const Tensor& bias, float eps) {
  require_width(x, weight.numel(), "LayerNorm");
  if (bias.numel() != weight.numel()) throw std::logic_error("GraphBuilder: LayerNorm bias and weight differ in size");
  return graph_.add(std::make_unique<LayerNormOp>(weight, bias, eps), {x});
}

ValueId GraphBuilder::position_embedding(ValueId x, const Tensor& table) {
  if (table.rank() != 2) throw std::logic_error("GraphBuilder: position table must be 2-D");
  require_width(x, table.dim(1), "PositionEmbedding");
  return graph_.add(std::make_unique<PositionEmbeddingOp>(table), {x});
}

ValueId GraphBuilder::gelu(ValueId x, GeluKind kind) { return graph_.add(std::make_unique<GeluOp>(width(x), kind), {x}); }

ValueId GraphBuilder::linear(ValueId x, LinearWeights weights) {
  const Tensor& weight = weights.weight;
  require_width(x, weight.dim(1), "Linear");
  if (weight.dtype() == DType::I8 && !weight.row_scales()) {
    throw std::logic_error("GraphBuilder: int8 Linear weight without row scales");
  }
  if (weights.bias && weights.bias->numel() != weight.dim(0)) {
    throw std::logic_error("GraphBuilder: Linear bias and weight rows differ");
  }
  return graph_.add(std::make_unique<LinearOp>(std::move(weights)), {x});
}

ValueId GraphBuilder::linear(ValueId x, const Tensor& weight, const Tensor* bias) {
  return linear(x, LinearWeights{weight, bias ? std::optional<Tensor>(*bias) : std::nullopt, {}, false});
}

ValueId GraphBuilder::tied_linear(ValueId x, ValueId embedding, std::string source, std::optional<Tensor> bias) {
  const auto* table = dynamic_cast<const EmbeddingOp*>(graph_.nodes().at(embedding).op.get());
  if (!table) throw std::logic_error("GraphBuilder: tied_linear needs an embedding value");
  const ValueId head = linear(x, LinearWeights{table->table(), std::move(bias), std::move(source), true});
  graph_.set_tie({embedding, head});
  return head;
}

ValueId GraphBuilder::attention(ValueId q, ValueId k, ValueId v, AttentionConfig config) {
  require_width(q, static_cast<int64_t>(config.num_heads) * config.head_dim, "Attention query");
  require_width(k, static_cast<int64_t>(config.num_kv_heads) * config.head_dim, "Attention key");
  require_width(v, static_cast<int64_t>(config.num_kv_heads) * config.head_dim, "Attention value");
  config.cache_slot = attention_layers_++;
  return graph_.add(std::make_unique<AttentionOp>(config), {q, k, v});
}

ValueId GraphBuilder::glu(ValueId gate, ValueId up, GluActivation activation) {
  require_width(up, width(gate), "GLU");
  return graph_.add(std::make_unique<GluOp>(width(gate), activation), {gate, up});
}

ValueId GraphBuilder::scale(ValueId x, float factor) { return graph_.add(std::make_unique<ScaleOp>(width(x), factor), {x}); }

ValueId GraphBuilder::soft_cap(ValueId x, float cap) { return graph_.add(std::make_unique<SoftCapOp>(width(x), cap), {x}); }

ValueId GraphBuilder::mixture_of_experts(ValueId x, const Tensor& router, const std::vector<ExpertWeights>& experts,
                                         int top_k, bool normalize_top_k, GluActivation activation) {
  require_width(x, router.dim(1), "MixtureOfExperts");
  for (const ExpertWeights& e : experts) {
    if (e.gate.weight.dim(1) != router.dim(1) || e.up.weight.dim(1) != router.dim(1) ||
        e.down.weight.dim(0) != router.dim(1) || e.down.weight.dim(1) != e.gate.weight.dim(0) ||
        e.up.weight.dim(0) != e.gate.weight.dim(0)) {
      throw std::logic_error("GraphBuilder: expert weights do not fit the router's width");
    }
  }
  return graph_.add(std::make_unique<MixtureOfExpertsOp>(router, experts, top_k, normalize_top_k, activation), {x});
}

ValueId GraphBuilder::cross_attention(ValueId q, CrossAttentionConfig config) {
  require_width(q, static_cast<int64_t>(config.num_heads) * config.head_dim, "CrossAttention query");
  config.cache_slot = cross_attention_layers_++;
  return graph_.add(std::make_unique<CrossAttentionOp>(config), {q});
}

void GraphBuilder::cross_attention_source(ValueId k, ValueId v, int slot, int heads, int head_dim) {
  require_width(k, static_cast<int64_t>(heads) * head_dim, "cross-attention keys");
  require_width(v, static_cast<int64_t>(heads) * head_dim, "cross-attention values");
  if (slot != static_cast<int>(graph_.cross_attention_sources().size())) {
    throw std::logic_error("GraphBuilder: cross-attention sources must come in slot order");
  }
  graph_.add_cross_attention_source({k, v, heads, head_dim});
}

ValueId GraphBuilder::silu(ValueId x) { return graph_.add(std::make_unique<SiluOp>(width(x)), {x}); }

ValueId GraphBuilder::add(ValueId a, ValueId b) {
  require_width(b, width(a), "Add");
  return graph_.add(std::make_unique<AddOp>(width(a)), {a, b});
}

ValueId GraphBuilder::last_row(ValueId x) { return graph_.add(std::make_unique<LastRowOp>(width(x)), {x}); }

ValueId GraphBuilder::token_type_embedding(ValueId x, const Tensor& table) {
  if (table.rank() != 2) throw std::logic_error("GraphBuilder: token type table must be 2-D");
  require_width(x, table.dim(1), "TokenTypeEmbedding");
  return graph_.add(std::make_unique<TokenTypeEmbeddingOp>(table), {x});
}

ValueId GraphBuilder::first_row(ValueId x) {
  return graph_.add(std::make_unique<SequenceRowOp>(width(x), SequenceRowOp::Which::First), {x});
}

ValueId GraphBuilder::sequence_last_row(ValueId x) {
  return graph_.add(std::make_unique<SequenceRowOp>(width(x), SequenceRowOp::Which::Last), {x});
}

ValueId GraphBuilder::tanh(ValueId x) { return graph_.add(std::make_unique<TanhOp>(width(x)), {x}); }

Graph GraphBuilder::finish(ValueId output) {
  graph_.set_output(output);
  return std::move(graph_);
}

}  // namespace attn
