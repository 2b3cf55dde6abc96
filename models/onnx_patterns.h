// Pattern matchers shared by the ONNX fusion passes (decoders, encoders):
// normalisations, projections with their biases, residual Adds, GELU kinds,
// and the builder calls that turn matches into fused ops.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/graph_builder.h"
#include "models/onnx_graph_view.h"

namespace attn {

// A normalisation of `input`.
struct NormMatch {
  std::string input;  // stripped
  primitive::Array weight;
  float eps = 0;
  std::optional<primitive::Array> bias;  // LayerNorm; RMSNorm has none
};

// A MatMul by a [in, out] weight initializer, with the bias Add after it if any.
struct Projection {
  const primitive::NodeIR* node;
  primitive::Array weight;
  std::optional<primitive::Array> bias;
  std::string output;  // after the bias
};

// The residual Add that reads `x` and one of `candidates`' outputs: the new
// residual stream and the projection added. A bias exported after the
// residual Add ((x + y W) + b, from a module that writes x + y @ W + b) is
// folded into the projection.
struct Residual {
  std::string output;
  Projection projection;
};

// RMSNorm as exporters write it (x * 1/sqrt(mean(x^2) + eps) * w, Div or
// Reciprocal, weight on either side) or ORT's SimplifiedLayerNormalization.
std::optional<NormMatch> match_rms_norm(const OnnxGraphView& g, const std::string& out);
// LayerNormalization (opset 17) or its decomposition (torch at opset < 17).
std::optional<NormMatch> match_layer_norm(const OnnxGraphView& g, const std::string& out);
std::optional<NormMatch> match_norm(const OnnxGraphView& g, const std::string& out);

// Every MatMul by a weight initializer, in graph order.
std::vector<Projection> projections(const OnnxGraphView& g);
std::optional<Residual> residual_add(const OnnxGraphView& g, const std::string& x,
                                     const std::vector<Projection>& candidates);
// The GELU computed between two values (Tanh or Erf among the ops between them).
std::optional<GeluKind> gelu_between(const OnnxGraphView& g, const std::string& from, const std::string& to);
// The graph input holding token ids.
const std::string& ids_input(const primitive::GraphIR& graph, const std::string& where);

// Columns [first, first + count) of a [in, out] MatMul weight as [count, in] f32 (LinearOp's layout).
Tensor transposed(const primitive::Array& weight, int64_t first = 0, int64_t count = -1);
// The linear op of output columns [first, first + count) of a projection, with its bias.
ValueId linear(GraphBuilder& b, ValueId x, const Projection& p, int64_t first = 0, int64_t count = -1);
ValueId norm(GraphBuilder& b, ValueId x, const NormMatch& n);

}  // namespace attn
