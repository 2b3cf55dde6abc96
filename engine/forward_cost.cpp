// attn::forward_cost: the matrix products and bytes of a model's graph.
#include <algorithm>

#include "attn/machine.h"
#include "engine/kv_rows.h"
#include "engine/loaded_model.h"
#include "engine/memory_plan.h"
#include "engine/ops/attention.h"
#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"

namespace attn {

ForwardCost forward_cost(const Model& model, int prompt_tokens, const SessionOptions& session) {
  const Graph& graph = LoadedModel::of(model).graph();
  const int64_t rows = std::max(prompt_tokens, 1);
  const MemoryPlan plan = plan_memory(graph, rows, false);
  ForwardCost cost;
  for (const Node& node : graph.nodes()) {
    if (const auto* linear = dynamic_cast<const LinearOp*>(node.op.get())) {
      const int64_t in = linear->weight().dim(1), out = linear->weight().dim(0);
      const int64_t in_rows = plan.rows[node.inputs.front()];
      if (in_rows == rows) cost.prefill_shapes.push_back({in, out});
      cost.prefill_flops_per_token += 2.0 * in * out * in_rows / rows;
      cost.linear_weight_bytes += linear->weight().nbytes_with_scales();
    } else if (const auto* moe = dynamic_cast<const MixtureOfExpertsOp*>(node.op.get())) {
      // A token reads the router and its top_k experts only.
      cost.prefill_flops_per_token += 2.0 * moe->active_parameters();
      cost.linear_weight_bytes += moe->active_bytes();
    } else if (const auto* attention = dynamic_cast<const AttentionOp*>(node.op.get())) {
      const auto& c = attention->config();
      const double bytes = static_cast<double>(c.num_kv_heads) * (cache_row_bytes(session.cache_type_k, c.head_dim) +
                                                                 cache_row_bytes(session.cache_type_v, c.head_dim));
      cost.kv_bytes_per_position += bytes;
      if (c.sliding_window > 0) cost.windowed_kv.push_back({bytes, c.sliding_window});
    }
  }
  return cost;
}

double ForwardCost::kv_bytes(int64_t length) const {
  double bytes = kv_bytes_per_position * static_cast<double>(length);
  for (const WindowedLayer& layer : windowed_kv) {
    bytes -= layer.bytes_per_position * static_cast<double>(length - std::min<int64_t>(length, layer.window));
  }
  return bytes;
}

}  // namespace attn
