// Throughput measurement in the shape of llama-bench: prefill of a prompt of
// n tokens (pp) and decode of n tokens one at a time (tg), per thread count.
#pragma once

#include <string>
#include <vector>

#include "attn/model.h"

namespace attn {

struct BenchOptions {
  int prompt_tokens = 128;   // 0 skips the prefill test
  int decode_tokens = 64;    // 0 skips the decode test
  std::vector<int> threads;  // empty: physical_cores()
  int repetitions = 5;
};

struct BenchResult {
  std::string test;       // "pp128", "tg64"
  int threads = 0;
  int tokens = 0;
  std::vector<double> seconds;  // one per repetition
  double median_tokens_per_second() const;
  double stddev_tokens_per_second() const;
};

std::vector<BenchResult> run_bench(const std::shared_ptr<const Model>& model,
                                   const BenchOptions& options);

}  // namespace attn
