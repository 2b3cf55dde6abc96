#include "models/linear_weights.h"

#include <set>
#include <string>
#include <vector>

#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/weight_conversion.h"
#include "models/architectures.h"

namespace attn {

void convert_linear_weights(Checkpoint& checkpoint, DType target) {
  const BuiltModel built = find_architecture(checkpoint).build(checkpoint);
  std::set<const void*> linear_data;
  for (const Node& node : built.graph.nodes()) {
    if (const auto* linear = dynamic_cast<const LinearOp*>(node.op.get())) linear_data.insert(linear->weight().data());
    if (const auto* moe = dynamic_cast<const MixtureOfExpertsOp*>(node.op.get())) {
      for (const Expert& e : moe->experts()) {
        for (const LinearOp* l : {&e.gate, &e.up, &e.down}) linear_data.insert(l->weight().data());
      }
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    if (linear_data.count(entry.tensor.data())) names.push_back(name);
  }
  for (const std::string& name : names) {
    const std::string source = checkpoint.weights.source_of(name);
    checkpoint.weights.add(name, convert_weight(checkpoint.weights.get(name), target), source);
  }
}

}  // namespace attn
