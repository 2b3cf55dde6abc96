// When to open an OpenMP parallel region. Below this much work (roughly
// multiply-adds or elements touched), waking threads and meeting at the
// barrier costs more than the work; on a busy machine a spinning barrier can
// cost milliseconds. Results never depend on the choice: every parallel loop
// gives each output to exactly one thread.
#pragma once

#include <cstdint>

namespace attn {

constexpr int64_t kMinParallelWork = int64_t{1} << 16;

inline bool worth_parallel(int64_t work) { return work >= kMinParallelWork; }

}  // namespace attn
