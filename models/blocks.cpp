#include "models/blocks.h"

#include <stdexcept>

namespace attn {

ValueId norm(GraphBuilder& g, ValueId x, const Norm& n) {
  if (n.kind == Norm::Kind::Rms) return g.rms_norm(x, n.weight, n.eps, n.weight_offset);
  return g.layer_norm(x, n.weight, *n.bias, n.eps);
}

ValueId head_norm(GraphBuilder& g, ValueId x, const Norm& n) {
  if (n.kind != Norm::Kind::Rms) throw std::logic_error("head_norm: per-head norms are RMSNorms");
  return g.head_rms_norm(x, n.weight, n.eps, n.weight_offset);
}

LinearWeights Weights::linear(const std::string& name, int64_t out, int64_t in, bool bias) const {
  LinearWeights weights{get(name + ".weight", {out, in}), std::nullopt, full_name(name + ".weight"), true};
  if (bias) weights.bias = get(name + ".bias", {out});
  return weights;
}

LinearWeights Weights::conv1d(const std::string& name, int64_t in, int64_t out) const {
  return {get(name + ".weight", {in, out}).transposed_f32(), get(name + ".bias", {out}), full_name(name + ".weight"),
          false};
}

Norm Weights::rms_norm(const std::string& name, int64_t width, float eps, float weight_offset) const {
  return {Norm::Kind::Rms, get(name + ".weight", {width}), std::nullopt, eps, weight_offset};
}

Norm Weights::layer_norm(const std::string& name, int64_t width, float eps) const {
  return {Norm::Kind::Layer, get(name + ".weight", {width}), get(name + ".bias", {width}), eps};
}

std::vector<LinearWeights> split_outputs(const LinearWeights& fused, std::initializer_list<int64_t> widths) {
  std::vector<LinearWeights> parts;
  int64_t first = 0;
  for (int64_t width : widths) {
    LinearWeights part{fused.weight.slice_rows(first, width), std::nullopt, fused.source, false};
    if (fused.bias) part.bias = fused.bias->slice_rows(first, width);
    parts.push_back(std::move(part));
    first += width;
  }
  // Builders check the fused tensor's shape against the config first.
  if (first != fused.weight.dim(0)) throw std::logic_error("split_outputs: the parts do not cover " + fused.source);
  return parts;
}

ValueId attention(GraphBuilder& g, ValueId x, const AttentionBlock& block) {
  ValueId q = g.linear(x, block.q);
  ValueId k = g.linear(x, block.k);
  const ValueId v = g.linear(x, block.v);
  if (block.q_norm) q = head_norm(g, q, *block.q_norm);
  if (block.k_norm) k = head_norm(g, k, *block.k_norm);
  return g.linear(g.attention(q, k, v, block.config), block.output);
}

ValueId feed_forward(GraphBuilder& g, ValueId x, const FeedForward& ffn) {
  const std::optional<ValueId> gate = ffn.gate ? std::optional(g.linear(x, *ffn.gate)) : std::nullopt;
  const ValueId up = g.linear(x, ffn.up);
  using Plain = FeedForward::Plain;
  const ValueId activated = gate                                    ? g.glu(*gate, up, ffn.gated_activation)
                            : ffn.plain_activation == Plain::Silu ? g.silu(up)
                            : ffn.plain_activation == Plain::Relu ? g.relu(up)
                                                                  : g.gelu(up, ffn.activation);
  return g.linear(activated, ffn.down);
}

ValueId feed_forward(GraphBuilder& g, ValueId x, const SparseFeedForward& ffn) {
  return g.mixture_of_experts(x, ffn.router, ffn.experts, ffn.top_k, ffn.normalize_top_k, ffn.activation);
}

namespace {

ValueId residual(GraphBuilder& g, ValueId x, TransformerLayer::NormPlacement placement, const Norm& n,
                 const std::optional<Norm>& output_norm, const std::function<ValueId(ValueId)>& sublayer) {
  if (placement == TransformerLayer::NormPlacement::Post) return norm(g, g.add(x, sublayer(x)), n);
  const ValueId out = sublayer(norm(g, x, n));
  return g.add(x, output_norm ? norm(g, out, *output_norm) : out);
}

}  // namespace

ValueId transformer_layer(GraphBuilder& g, ValueId x, const TransformerLayer& layer) {
  if (layer.placement == TransformerLayer::NormPlacement::Post && (layer.attention_output_norm || layer.ffn_output_norm)) {
    throw std::logic_error("transformer_layer: output norms are for pre-norm layers");
  }
  x = residual(g, x, layer.placement, layer.attention_norm, layer.attention_output_norm,
               [&](ValueId h) { return attention(g, h, layer.attention); });
  if (const auto& cross = layer.cross_attention) {
    x = residual(g, x, layer.placement, layer.cross_attention_norm, std::nullopt,
                 [&](ValueId h) { return g.linear(g.cross_attention(g.linear(h, cross->q), cross->config), cross->output); });
  }
  return residual(g, x, layer.placement, layer.ffn_norm, layer.ffn_output_norm, [&](ValueId h) {
    return std::visit([&](const auto& ffn) { return feed_forward(g, h, ffn); }, layer.ffn);
  });
}

void cross_attention_kv(GraphBuilder& g, ValueId encoded, const LinearWeights& k, const LinearWeights& v, int slot,
                        int heads, int head_dim) {
  g.cross_attention_source(g.linear(encoded, k), g.linear(encoded, v), slot, heads, head_dim);
}

ValueId causal_lm_output(GraphBuilder& g, ValueId x, const Norm& final_norm, const std::optional<LinearWeights>& head,
                         ValueId embedding, const std::string& embedding_name) {
  const ValueId hidden = norm(g, g.last_row(x), final_norm);
  return head ? g.linear(hidden, *head) : g.tied_linear(hidden, embedding, embedding_name);
}

}  // namespace attn
