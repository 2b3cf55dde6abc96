#include "engine/memory_plan.h"

#include <algorithm>

namespace attn {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64-byte alignment for every value

int64_t align_up(int64_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

struct Placement {
  int64_t begin, end;      // in floats
  int first_use, last_use;  // node indices
};

}  // namespace

MemoryPlan plan_memory(const Graph& graph, int64_t row_capacity, bool all_rows_out) {
  const int count = graph.value_count();
  MemoryPlan plan;
  plan.row_capacity = row_capacity;
  plan.all_rows_out = all_rows_out;
  plan.offsets.assign(count, 0);
  plan.rows.assign(count, 0);

  std::vector<int> last_use(count);
  for (int i = 0; i < count; ++i) last_use[i] = i;
  for (const Node& node : graph.nodes()) {
    for (ValueId input : node.inputs) last_use[input] = std::max(last_use[input], node.output);
    const int64_t input_rows = node.inputs.empty() ? row_capacity : plan.rows[node.inputs.front()];
    plan.rows[node.output] = node.op->output_rows(input_rows, all_rows_out);
  }
  last_use[graph.output()] = count;  // the outputs must survive the whole run
  for (const auto& [name, value] : graph.heads()) last_use[value] = count;
  for (const auto& source : graph.cross_attention_sources()) last_use[source.keys] = last_use[source.values] = count;

  // Greedy first fit in definition order: place each value at the lowest
  // offset that does not overlap a value alive at the same time.
  std::vector<Placement> placed;
  for (int v = 0; v < count; ++v) {
    const int64_t size = align_up(plan.rows[v] * graph.nodes()[v].op->output_width());
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Placement& p : placed) {
      if (p.last_use >= v && p.first_use <= last_use[v]) busy.emplace_back(p.begin, p.end);
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + size <= begin) break;
      offset = std::max(offset, end);
    }
    plan.offsets[v] = offset;
    placed.push_back({offset, offset + size, v, last_use[v]});
    plan.arena_floats = std::max(plan.arena_floats, offset + size);
  }
  return plan;
}

}  // namespace attn
