#include "engine/interpreter/program.h"

#include <deque>

#include "attn/error.h"

namespace attn::interpreter {

struct Program::Step {
  const NodeIR* node;
  Kernel kernel;                             // empty for If
  std::unique_ptr<Program> then_branch, else_branch;  // If only
};

const Array* Scope::find(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent_) {
    auto it = s->values_.find(name);
    if (it != s->values_.end()) return &it->second;
  }
  return nullptr;
}

std::set<std::string> unsupported_ops(const GraphIR& graph) {
  std::set<std::string> missing;
  for (const NodeIR& node : graph.nodes) {
    const std::string key = kernel_key(node.domain, node.op_type);
    if (key != ":If" && !kernel_table().contains(key)) {
      missing.insert(node.domain.empty() || node.domain == "ai.onnx" ? node.op_type : node.domain + ":" + node.op_type);
    }
    for (const auto& [name, attribute] : node.attributes) {
      if (attribute.graph) missing.merge(unsupported_ops(*attribute.graph));
    }
  }
  return missing;
}

namespace {

// The nodes in an order where every input is produced before it is read.
// ONNX requires files to be sorted already; exporters sometimes are not, so
// sort (stably) and report what cannot be: undefined inputs and cycles.
std::vector<const NodeIR*> topological_order(const GraphIR& graph, const std::set<std::string>& available,
                                             const std::string& where) {
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      if (producer.contains(out)) {
        throw Error(where + ": value '" + out + "' is produced twice (by " + graph.nodes[i].describe() + ")");
      }
      producer[out] = i;
    }
  }
  std::vector<int> pending(graph.nodes.size(), 0);
  std::vector<std::vector<size_t>> consumers(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        ++pending[i];
        consumers[it->second].push_back(i);
      } else if (!available.contains(in)) {
        throw Error(where + ": " + graph.nodes[i].describe() + " reads '" + in +
                    "', which no node, initializer or graph input defines");
      }
    }
  }
  std::deque<size_t> ready;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<const NodeIR*> order;
  while (!ready.empty()) {
    const size_t i = ready.front();
    ready.pop_front();
    order.push_back(&graph.nodes[i]);
    for (size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  if (order.size() != graph.nodes.size()) {
    std::string cycle;
    for (size_t i = 0; i < graph.nodes.size() && cycle.size() < 300; ++i) {
      if (pending[i] > 0) cycle += (cycle.empty() ? "" : ", ") + graph.nodes[i].describe();
    }
    throw Error(where + ": the graph has a cycle; these nodes wait on each other: " + cycle);
  }
  return order;
}

}  // namespace

Program::Program(std::shared_ptr<const GraphIR> graph, int64_t opset, const std::string& where,
                 const std::set<std::string>& outer_names)
    : graph_(std::move(graph)), where_(where) {
  const std::set<std::string> missing = unsupported_ops(*graph_);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& op : missing) list += (list.empty() ? "" : ", ") + op;
    throw Error(where_ + ": unsupported ONNX op" + (missing.size() > 1 ? "s: " : ": ") + list);
  }
  std::set<std::string> available = outer_names;
  for (const auto& [name, value] : graph_->initializers) available.insert(name);
  for (const ValueInfo& input : graph_->inputs) available.insert(input.name);
  const std::vector<const NodeIR*> order = topological_order(*graph_, available, where_);

  // Branches may read anything this graph defines.
  std::set<std::string> visible = available;
  for (const NodeIR& node : graph_->nodes) visible.insert(node.outputs.begin(), node.outputs.end());
  for (const NodeIR* node : order) {
    Step step{node, {}, nullptr, nullptr};
    if (kernel_key(node->domain, node->op_type) == ":If") {
      const Attribute* then_graph = node->find("then_branch");
      const Attribute* else_graph = node->find("else_branch");
      if (!then_graph || !then_graph->graph || !else_graph || !else_graph->graph) {
        throw Error(where_ + ": " + node->describe() + " lacks then_branch/else_branch graphs");
      }
      step.then_branch = std::make_unique<Program>(then_graph->graph, opset, where_, visible);
      step.else_branch = std::make_unique<Program>(else_graph->graph, opset, where_, visible);
    } else {
      step.kernel = kernel_table().at(kernel_key(node->domain, node->op_type))(*node, opset);
    }
    steps_.push_back(std::move(step));
  }
  for (const ValueInfo& output : graph_->outputs) {
    if (!visible.contains(output.name)) throw Error(where_ + ": graph output '" + output.name + "' is never produced");
  }
}

Program::~Program() = default;

void Program::run_steps(Scope& scope) const {
  std::vector<const Array*> inputs;
  for (const Step& step : steps_) {
    const NodeIR& node = *step.node;
    inputs.clear();
    for (const std::string& name : node.inputs) inputs.push_back(name.empty() ? nullptr : scope.find(name));
    std::vector<Array> outputs;
    try {
      if (step.kernel) {
        outputs = step.kernel(Inputs(inputs.data(), inputs.size()));
      } else {
        const Array& condition = required_input(Inputs(inputs.data(), inputs.size()), 0, node.describe());
        if (condition.type() != DType::Bool || condition.numel() != 1) {
          throw Error(node.describe() + ": condition must be one bool, got " + condition.describe());
        }
        const Program& branch = condition.as<bool>()[0] ? *step.then_branch : *step.else_branch;
        outputs = branch.run({}, &scope);
      }
    } catch (const Error& e) {
      throw Error(where_ + ": " + e.what());
    }
    if (outputs.size() < node.outputs.size()) {
      // Optional outputs a kernel does not produce must be unused ("" names).
      for (size_t i = outputs.size(); i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty()) {
          throw Error(where_ + ": " + node.describe() + " output " + std::to_string(i) + " is not supported");
        }
      }
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty()) scope.set(node.outputs[i], std::move(outputs[i]));
    }
  }
}

std::vector<Array> Program::run(const std::map<std::string, Array>& inputs, const Scope* outer) const {
  Scope scope(outer);
  for (const auto& [name, value] : graph_->initializers) scope.set(name, value);
  for (const ValueInfo& input : graph_->inputs) {
    auto it = inputs.find(input.name);
    if (it == inputs.end()) {
      throw Error(where_ + ": graph input '" + input.name + "' was not given");
    }
    if (input.type && *input.type != it->second.type()) {
      throw Error(where_ + ": graph input '" + input.name + "' must be " + std::string(elem_name(*input.type)) +
                  ", got " + it->second.describe());
    }
    scope.set(input.name, it->second);
  }
  run_steps(scope);
  std::vector<Array> outputs;
  for (const ValueInfo& output : graph_->outputs) {
    const Array* value = scope.find(output.name);
    if (!value) throw Error(where_ + ": graph output '" + output.name + "' was not computed");
    outputs.push_back(*value);
  }
  return outputs;
}

}  // namespace attn::interpreter
