#include "engine/interpreter/graph_ir.h"

#include "attn/error.h"

namespace attn::interpreter {

const Attribute* NodeIR::find(const std::string& attribute) const {
  auto it = attributes.find(attribute);
  return it == attributes.end() ? nullptr : &it->second;
}

int64_t NodeIR::get_int(const std::string& attribute, int64_t fallback) const {
  const Attribute* a = find(attribute);
  return a ? a->i : fallback;
}

float NodeIR::get_float(const std::string& attribute, float fallback) const {
  const Attribute* a = find(attribute);
  return a ? a->f : fallback;
}

std::string NodeIR::get_string(const std::string& attribute, const std::string& fallback) const {
  const Attribute* a = find(attribute);
  return a ? a->s : fallback;
}

std::optional<std::vector<int64_t>> NodeIR::get_ints(const std::string& attribute) const {
  const Attribute* a = find(attribute);
  if (!a) return std::nullopt;
  return a->ints;
}

std::string NodeIR::describe() const {
  return op_type + " node '" + (name.empty() ? (outputs.empty() ? std::string("?") : outputs[0]) : name) + "'";
}

int64_t GraphIR::node_count() const {
  int64_t count = static_cast<int64_t>(nodes.size());
  for (const NodeIR& node : nodes) {
    for (const auto& [name, attribute] : node.attributes) {
      if (attribute.graph) count += attribute.graph->node_count();
    }
  }
  return count;
}

int64_t ModelIR::opset() const {
  auto it = opsets.find("");
  if (it == opsets.end()) it = opsets.find("ai.onnx");
  return it == opsets.end() ? 0 : it->second;
}

}  // namespace attn::interpreter
