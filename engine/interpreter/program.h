// Program: an imported graph ready to run op by op. Building one checks the
// graph once — every op supported (one error listing all that are not),
// every input defined, no cycles — orders the nodes and creates each node's
// kernel. Running evaluates the nodes in order; If nodes run their branch
// programs, which read outer-scope names from the enclosing run.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/interpreter/graph_ir.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {

// The values of one run of a graph; branches see their enclosing graph's scope.
class Scope {
 public:
  explicit Scope(const Scope* parent = nullptr) : parent_(parent) {}
  const Array* find(const std::string& name) const;
  void set(const std::string& name, Array value) { values_[name] = std::move(value); }

 private:
  const Scope* parent_;
  std::unordered_map<std::string, Array> values_;
};

class Program {
 public:
  // `outer_names` are the names a branch may read from enclosing graphs.
  // `where` names the file in error messages.
  Program(std::shared_ptr<const GraphIR> graph, int64_t opset, const std::string& where,
          const std::set<std::string>& outer_names = {});
  ~Program();

  // Runs with every graph input given by name; returns the graph outputs in order.
  std::vector<Array> run(const std::map<std::string, Array>& inputs, const Scope* outer = nullptr) const;

  const GraphIR& graph() const { return *graph_; }

 private:
  struct Step;
  void run_steps(Scope& scope) const;

  std::shared_ptr<const GraphIR> graph_;
  std::string where_;
  std::vector<Step> steps_;
};

// Every op type in `graph` and its subgraphs that no kernel implements, as
// "domain:op" (sorted, unique). Program's constructor throws when non-empty.
std::set<std::string> unsupported_ops(const GraphIR& graph);

}  // namespace attn::interpreter
