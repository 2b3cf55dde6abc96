// Throughput measurement in the shape of llama-bench: prefill of a prompt of
// n tokens (pp) and decode of n tokens one at a time (tg), per thread count.
#pragma once

#include "attn/export.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

struct BenchOptions {
  int prompt_tokens = 128;   // 0 skips the prefill test
  int decode_tokens = 64;    // 0 skips the decode test
  std::vector<int> threads;  // empty: physical_cores()
  int repetitions = 5;
  // > 1: also decode with this many sessions together (Session::decode_step),
  // test "tgN/S": tokens/s over all of them.
  int sessions = 1;
  // Decode tests start after a prefill of this many tokens (llama-bench's
  // -d), test "tgN@dD": decoding at a long context reads the whole cache.
  int depth = 0;
  CacheType cache_type_k = CacheType::F32;  // the sessions' KV cache (SessionOptions)
  CacheType cache_type_v = CacheType::F32;
  // Also measure the machine's ceilings (memory read bandwidth, oneDNN GEMM
  // FLOP/s at the model's shapes) and report each test's fraction of them.
  bool probe_ceilings = true;
};

struct BenchResult {
  std::string test;       // "pp128", "tg64", "tg64/4"
  int threads = 0;
  int tokens = 0;
  std::vector<double> seconds;  // one per repetition
  // What bounds the test and how much of it one token needs: for decode,
  // bytes read per token (weights + KV cache) against the probed read
  // bandwidth in bytes/s; for prefill, FLOPs per token (2 x multiply-adds
  // of the matrix products) against the probed GEMM FLOP/s. 0 = not probed.
  double work_per_token = 0;
  double ceiling = 0;
  // Decode tests: the process's peak resident memory while decoding (mapped
  // weights that were read included; 0 where unknown), and the KV cache.
  int64_t peak_rss_bytes = 0;
  int64_t kv_cache_bytes = 0;
  double median_tokens_per_second() const;
  double stddev_tokens_per_second() const;
  double ceiling_fraction() const;
};

// Start-up as a user sees it: loading the model (`load_seconds`), then a
// Session and the logits of the first token (`first_token_seconds`, from
// the start of loading).
struct Startup {
  double load_seconds = 0;
  double first_token_seconds = 0;
};
Startup measure_startup(const std::function<std::shared_ptr<const Model>()>& load, std::shared_ptr<const Model>& model);

std::vector<BenchResult> run_bench(const std::shared_ptr<const Model>& model,
                                   const BenchOptions& options);

}  // namespace attn
