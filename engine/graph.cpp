#include "engine/graph.h"

#include <stdexcept>

namespace attn {

ValueId Graph::add(std::unique_ptr<Op> op, std::vector<ValueId> inputs) {
  for (ValueId input : inputs) {
    if (input < 0 || input >= value_count()) throw std::logic_error("Graph::add: input value does not exist yet");
  }
  const ValueId id = value_count();
  nodes_.push_back(Node{std::move(op), std::move(inputs), id});
  return id;
}

void Graph::set_output(ValueId value) {
  if (value < 0 || value >= value_count()) throw std::logic_error("Graph::set_output: no such value");
  output_ = value;
}

void Graph::add_head(std::string name, ValueId value) {
  if (value < 0 || value >= value_count()) throw std::logic_error("Graph::add_head: no such value");
  heads_[std::move(name)] = value;
}

void Graph::replace_op(ValueId value, std::unique_ptr<Op> op) {
  Node& node = nodes_.at(value);
  if (op->output_width() != node.op->output_width()) throw std::logic_error("Graph::replace_op: output width differs");
  node.op = std::move(op);
}

int64_t Graph::output_width() const { return nodes_.at(output_).op->output_width(); }

std::map<std::string, int> Graph::op_counts() const {
  std::map<std::string, int> counts;
  for (const Node& node : nodes_) ++counts[std::string(node.op->name())];
  return counts;
}

}  // namespace attn
