// The building blocks the ONNX recognisers match (patterns.h).
#include "loaders/onnx/patterns.h"

#include <set>

#include "attn/error.h"

namespace attn {

using interpreter::Array;
using interpreter::NodeIR;

std::optional<NormMatch> match_rms_norm(const OnnxGraphView& g, const std::string& out) {
  if (const NodeIR* n = g.producer_of(out, "SimplifiedLayerNormalization")) {
    auto w = n->inputs.size() > 1 ? g.weight(n->inputs[1], 1) : std::nullopt;
    if (!w) return std::nullopt;
    return NormMatch{g.strip(n->inputs[0]), *w, n->get_float("epsilon", 1e-5f), std::nullopt};
  }
  const NodeIR* scale = g.producer_of(out, "Mul");
  if (!scale) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const auto w = g.weight(scale->inputs[side], 1);
    const NodeIR* normalized = g.producer_of(scale->inputs[1 - side], "Mul");
    if (!w || !normalized) continue;
    for (int x_side = 0; x_side < 2; ++x_side) {
      const std::string x = g.strip(normalized->inputs[x_side]);
      const std::string inverse = normalized->inputs[1 - x_side];
      const NodeIR* sqrt = nullptr;
      if (const NodeIR* div = g.producer_of(inverse, "Div"); div && g.scalar(div->inputs[0]) == 1.0) {
        sqrt = g.producer_of(div->inputs[1], "Sqrt");
      } else if (const NodeIR* reciprocal = g.producer_of(inverse, "Reciprocal")) {
        sqrt = g.producer_of(reciprocal->inputs[0], "Sqrt");
      }
      const NodeIR* add = sqrt ? g.producer_of(sqrt->inputs[0], "Add") : nullptr;
      if (!add) continue;
      for (int eps_side = 0; eps_side < 2; ++eps_side) {
        const auto eps = g.scalar(add->inputs[eps_side]);
        const NodeIR* mean = g.producer_of(add->inputs[1 - eps_side], "ReduceMean");
        const NodeIR* square = mean ? g.producer(g.strip(mean->inputs[0])) : nullptr;
        const bool squares_x = square && ((square->op_type == "Pow" && g.scalar(square->inputs[1]) == 2.0 &&
                                           g.strip(square->inputs[0]) == x) ||
                                          (square->op_type == "Mul" && g.strip(square->inputs[0]) == x &&
                                           g.strip(square->inputs[1]) == x));
        if (eps && squares_x) return NormMatch{x, *w, static_cast<float>(*eps), std::nullopt};
      }
    }
  }
  return std::nullopt;
}

std::optional<NormMatch> match_layer_norm(const OnnxGraphView& g, const std::string& out) {
  if (const NodeIR* n = g.producer_of(out, "LayerNormalization")) {
    auto w = n->inputs.size() > 1 ? g.weight(n->inputs[1], 1) : std::nullopt;
    auto b = n->inputs.size() > 2 ? g.weight(n->inputs[2], 1) : std::nullopt;
    if (!w || n->get_int("axis", -1) != -1) return std::nullopt;
    return NormMatch{g.strip(n->inputs[0]), *w, n->get_float("epsilon", 1e-5f), b};
  }
  const NodeIR* shift = g.producer_of(out, "Add");
  if (!shift) return std::nullopt;
  for (int b_side = 0; b_side < 2; ++b_side) {
    const auto bias = g.weight(shift->inputs[b_side], 1);
    const NodeIR* scale = g.producer_of(shift->inputs[1 - b_side], "Mul");
    if (!bias || !scale) continue;
    for (int w_side = 0; w_side < 2; ++w_side) {
      const auto w = g.weight(scale->inputs[w_side], 1);
      const NodeIR* div = g.producer_of(scale->inputs[1 - w_side], "Div");
      const NodeIR* centered = div ? g.producer_of(div->inputs[0], "Sub") : nullptr;
      const NodeIR* sqrt = div ? g.producer_of(div->inputs[1], "Sqrt") : nullptr;
      const NodeIR* add = sqrt ? g.producer_of(sqrt->inputs[0], "Add") : nullptr;
      if (!w || !centered || !add) continue;
      const std::string x = g.strip(centered->inputs[0]);
      const NodeIR* mean = g.producer_of(centered->inputs[1], "ReduceMean");
      if (!mean || g.strip(mean->inputs[0]) != x) continue;
      for (int eps_side = 0; eps_side < 2; ++eps_side) {
        const auto eps = g.scalar(add->inputs[eps_side]);
        const NodeIR* variance = g.producer_of(add->inputs[1 - eps_side], "ReduceMean");
        const NodeIR* square = variance ? g.producer_of(variance->inputs[0], "Pow") : nullptr;
        if (eps && square && g.scalar(square->inputs[1]) == 2.0 &&
            g.strip(square->inputs[0]) == centered->outputs[0]) {
          return NormMatch{x, *w, static_cast<float>(*eps), bias};
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<NormMatch> match_norm(const OnnxGraphView& g, const std::string& out) {
  auto norm = match_rms_norm(g, out);
  return norm ? norm : match_layer_norm(g, out);
}

std::vector<Projection> projections(const OnnxGraphView& g) {
  std::vector<Projection> result;
  for (const NodeIR& node : g.graph().nodes) {
    if (node.op_type != "MatMul" || node.inputs.size() != 2) continue;
    auto w = g.weight(node.inputs[1], 2);
    if (!w) continue;
    Projection p{&node, *w, std::nullopt, node.outputs[0]};
    const auto readers = g.readers(node.outputs[0]);
    if (readers.size() == 1 && readers[0]->op_type == "Add") {
      for (const std::string& in : readers[0]->inputs) {
        if (auto b = g.weight(in, 1); b && b->shape()[0] == w->shape()[1]) {
          p.bias = b;
          p.output = readers[0]->outputs[0];
        }
      }
    }
    result.push_back(std::move(p));
  }
  return result;
}

Tensor transposed(const Array& weight) {
  const Tensor source = weight.to_tensor().to_f32();
  const int64_t in = source.dim(0), out = source.dim(1);
  Tensor result = Tensor::zeros(DType::F32, {out, in});
  float* dst = result.mutable_data_as<float>();
  for (int64_t i = 0; i < in; ++i) {
    for (int64_t o = 0; o < out; ++o) dst[o * in + i] = source.data_as<float>()[i * out + o];
  }
  return result;
}

bool is_transpose_of(const Array& head, const Array& embedding) {
  if (head.shape() != Shape{embedding.shape()[1], embedding.shape()[0]}) return false;
  const Tensor h = head.to_tensor().to_f32(), e = embedding.to_tensor().to_f32();
  const int64_t hidden = h.dim(0), vocab = h.dim(1);
  for (int64_t i = 0; i < hidden; ++i) {
    for (int64_t v = 0; v < vocab; ++v) {
      if (h.data_as<float>()[i * vocab + v] != e.data_as<float>()[v * hidden + i]) return false;
    }
  }
  return true;
}

namespace {

std::set<std::string> ops_between(const OnnxGraphView& g, const std::string& from, const std::string& to) {
  std::set<std::string> ops, seen;
  std::vector<std::string> pending{to};
  while (!pending.empty() && seen.size() < 64) {
    const std::string v = pending.back();
    pending.pop_back();
    if (v == from || !seen.insert(v).second) continue;
    if (const NodeIR* p = g.producer(v)) {
      ops.insert(p->op_type);
      pending.insert(pending.end(), p->inputs.begin(), p->inputs.end());
    }
  }
  return ops;
}

}  // namespace

std::optional<std::string> gelu_between(const OnnxGraphView& g, const std::string& from, const std::string& to) {
  const std::set<std::string> ops = ops_between(g, from, to);
  if (ops.contains("Tanh") || ops.contains("FastGelu")) return "gelu_new";
  if (ops.contains("Erf") || ops.contains("Gelu")) return "gelu";
  return std::nullopt;
}

std::optional<Residual> residual_add(const OnnxGraphView& g, const std::string& x,
                                     const std::vector<Projection>& candidates) {
  for (const NodeIR* reader : g.readers(x)) {
    if (reader->op_type != "Add") continue;
    for (const std::string& in : reader->inputs) {
      for (const Projection& p : candidates) {
        if (g.strip(in) != p.output) continue;
        Residual r{reader->outputs[0], p};
        const auto next = g.readers(r.output);
        if (!p.bias && next.size() == 1 && next[0]->op_type == "Add") {
          for (const std::string& other : next[0]->inputs) {
            if (auto b = g.weight(other, 1); b && b->shape()[0] == p.weight.shape()[1]) {
              r.projection.bias = b;
              r.output = next[0]->outputs[0];
            }
          }
        }
        return r;
      }
    }
  }
  return std::nullopt;
}

const std::string& ids_input(const interpreter::GraphIR& graph, const std::string& where) {
  for (const interpreter::ValueInfo& input : graph.inputs) {
    if (input.name == "input_ids") return input.name;
  }
  for (const interpreter::ValueInfo& input : graph.inputs) {
    if (input.type == DType::I64 || input.type == DType::I32) return input.name;
  }
  throw Error(where + ": no integer token-id input (input_ids) to feed");
}

}  // namespace attn
