#include "loaders/onnx/graph_view.h"

namespace attn {

using interpreter::Array;
using interpreter::NodeIR;

OnnxGraphView::OnnxGraphView(const interpreter::GraphIR& graph) : graph_(graph) {
  for (const NodeIR& node : graph.nodes) {
    for (const std::string& out : node.outputs) producers_[out] = &node;
    for (const std::string& in : node.inputs) {
      if (!in.empty()) readers_[in].push_back(&node);
    }
  }
}

const NodeIR* OnnxGraphView::producer(const std::string& value) const {
  auto it = producers_.find(value);
  return it == producers_.end() ? nullptr : it->second;
}

namespace {
bool is_passthrough(const NodeIR& node) {
  return node.op_type == "Identity" ||
         (node.op_type == "Cast" && node.get_int("to", 0) == static_cast<int64_t>(DType::F32));
}
}  // namespace

std::string OnnxGraphView::strip(const std::string& value) const {
  std::string v = value;
  for (const NodeIR* p = producer(v); p && is_passthrough(*p) && !p->inputs.empty(); p = producer(v)) v = p->inputs[0];
  return v;
}

const NodeIR* OnnxGraphView::producer_of(const std::string& value, const std::string& op_type) const {
  const NodeIR* p = producer(strip(value));
  return p && p->op_type == op_type ? p : nullptr;
}

std::vector<const NodeIR*> OnnxGraphView::readers(const std::string& value) const {
  std::vector<const NodeIR*> result;
  auto it = readers_.find(value);
  if (it == readers_.end()) return result;
  for (const NodeIR* node : it->second) {
    if (is_passthrough(*node)) {
      for (const NodeIR* r : readers(node->outputs[0])) result.push_back(r);
    } else {
      result.push_back(node);
    }
  }
  return result;
}

std::optional<Array> OnnxGraphView::constant(const std::string& value) const {
  const std::string v = strip(value);
  if (auto it = graph_.initializers.find(v); it != graph_.initializers.end()) return it->second;
  const NodeIR* p = producer(v);
  if (p && p->op_type == "Constant") {
    if (const interpreter::Attribute* a = p->find("value")) return a->tensor;
    if (const interpreter::Attribute* a = p->find("value_float")) {
      Array out(DType::F32, {});
      *out.mutable_as<float>() = a->f;
      return out;
    }
  }
  return std::nullopt;
}

std::optional<Array> OnnxGraphView::weight(const std::string& value, int rank) const {
  const std::string v = strip(value);
  auto it = graph_.initializers.find(v);
  if (it == graph_.initializers.end() || it->second.rank() != rank) return std::nullopt;
  const DType t = it->second.type();
  if (t != DType::F32 && t != DType::F16 && t != DType::BF16) return std::nullopt;
  return it->second;
}

std::optional<double> OnnxGraphView::scalar(const std::string& value) const {
  const std::optional<Array> c = constant(value);
  if (!c || c->numel() != 1) return std::nullopt;
  return c->element_as_double(0);
}

}  // namespace attn
