// Static memory planning: for a given number of rows, every value of the
// graph gets an offset in one arena, reusing space of values that are dead.
// Planned once per shape bucket, so running the graph allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/graph.h"

namespace attn {

struct MemoryPlan {
  int64_t row_capacity = 0;
  bool all_rows_out = false;
  std::vector<int64_t> offsets;  // per value, in floats
  std::vector<int64_t> rows;     // per value, rows at full capacity
  int64_t arena_floats = 0;
};

MemoryPlan plan_memory(const Graph& graph, int64_t row_capacity, bool all_rows_out);

}  // namespace attn
