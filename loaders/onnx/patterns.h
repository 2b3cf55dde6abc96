// Pattern matchers shared by the ONNX recognisers (decoders, encoders):
// normalisations, projections with their biases, residual Adds, GELU kinds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "loaders/onnx/graph_view.h"

namespace attn {

// A normalisation of `input`.
struct NormMatch {
  std::string input;  // stripped
  interpreter::Array weight;
  float eps = 0;
  std::optional<interpreter::Array> bias;  // LayerNorm; RMSNorm has none
};

// A MatMul by a [in, out] weight initializer, with the bias Add after it if any.
struct Projection {
  const interpreter::NodeIR* node;
  interpreter::Array weight;
  std::optional<interpreter::Array> bias;
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
// The GELU computed between two values, by its Hugging Face activation name:
// "gelu_new" (a Tanh among the ops between them) or "gelu" (an Erf).
std::optional<std::string> gelu_between(const OnnxGraphView& g, const std::string& from, const std::string& to);
// The graph input holding token ids.
const std::string& ids_input(const interpreter::GraphIR& graph, const std::string& where);

// A [in, out] MatMul weight as [out, in] f32: Linear's (and Hugging Face's nn.Linear) layout.
Tensor transposed(const interpreter::Array& weight);
// True when `head` ([hidden, vocab] MatMul weight) is the transpose of `embedding` ([vocab, hidden]): a tied head.
bool is_transpose_of(const interpreter::Array& head, const interpreter::Array& embedding);

}  // namespace attn
