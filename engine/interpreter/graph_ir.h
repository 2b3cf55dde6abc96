// The imported graph as the interpreter and the ONNX recognisers see it: nodes
// with named inputs/outputs and decoded attributes, initializers as Arrays.
// Loaders (loaders/onnx) fill it from a file; nothing here knows protobuf.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/interpreter/array.h"

namespace attn::interpreter {

struct GraphIR;

struct Attribute {
  enum class Kind { Float, Int, String, Tensor, Graph, Floats, Ints, Strings };
  Kind kind = Kind::Int;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Array tensor;
  std::shared_ptr<const GraphIR> graph;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct NodeIR {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  const Attribute* find(const std::string& attribute) const;
  int64_t get_int(const std::string& attribute, int64_t fallback) const;
  float get_float(const std::string& attribute, float fallback) const;
  std::string get_string(const std::string& attribute, const std::string& fallback) const;
  std::optional<std::vector<int64_t>> get_ints(const std::string& attribute) const;
  // "Add node '/layers.0/Add'" for messages.
  std::string describe() const;
};

struct ValueInfo {
  std::string name;
  std::optional<DType> type;
  // Declared dimensions; nullopt for symbolic ones ("batch", "sequence").
  std::vector<std::optional<int64_t>> dims;
};

struct GraphIR {
  std::string name;
  std::vector<NodeIR> nodes;  // in topological order (the loader sorts and checks)
  std::map<std::string, Array> initializers;
  std::vector<ValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<ValueInfo> outputs;

  int64_t node_count() const;  // with the nodes of subgraphs (If branches)
};

struct ModelIR {
  GraphIR graph;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  int64_t opset() const;  // the default domain's version
};

}  // namespace attn::interpreter
