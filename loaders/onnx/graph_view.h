// Read-only navigation of an imported graph for the recognisers: who
// produces and who reads a value, constants and weights behind Identity
// nodes, and values seen through the dtype-preserving casts exporters insert.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/interpreter/graph_ir.h"

namespace attn {

class OnnxGraphView {
 public:
  explicit OnnxGraphView(const interpreter::GraphIR& graph);

  // The node producing `value`, or nullptr for inputs, initializers, unknowns.
  const interpreter::NodeIR* producer(const std::string& value) const;
  // `value` with Identity and Cast-to-float producers skipped.
  std::string strip(const std::string& value) const;
  // The producer of strip(value) when its op type is `op_type`.
  const interpreter::NodeIR* producer_of(const std::string& value, const std::string& op_type) const;
  // Nodes reading `value` or a cast/identity of it.
  std::vector<const interpreter::NodeIR*> readers(const std::string& value) const;

  // A constant (initializer or Constant node, through Identity), if `value` is one.
  std::optional<interpreter::Array> constant(const std::string& value) const;
  // A float initializer of the given rank (through Identity/Cast), if `value` is one.
  std::optional<interpreter::Array> weight(const std::string& value, int rank) const;
  // The value of a one-element numeric constant.
  std::optional<double> scalar(const std::string& value) const;

  const interpreter::GraphIR& graph() const { return graph_; }

 private:
  const interpreter::GraphIR& graph_;
  std::map<std::string, const interpreter::NodeIR*> producers_;
  std::map<std::string, std::vector<const interpreter::NodeIR*>> readers_;
};

}  // namespace attn
