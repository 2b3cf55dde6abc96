// llama-bench-style throughput: pp = one forward pass over a prompt of n
// tokens, tg = n single-token forward passes from an empty context.
#include "attn/bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "attn/error.h"
#include "attn/machine.h"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<TokenId> random_tokens(int count, int vocab) {
  std::mt19937 rng(1234);
  std::vector<TokenId> ids(count);
  for (TokenId& id : ids) id = static_cast<TokenId>(rng() % static_cast<unsigned>(vocab));
  return ids;
}

double time_prefill(Session& session, const std::vector<TokenId>& prompt) {
  session.reset();
  const auto start = Clock::now();
  session.forward(prompt);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Decodes `tokens` after the `depth` prompt (untimed).
double time_decode(Session& session, const std::vector<TokenId>& depth, const std::vector<TokenId>& tokens) {
  session.reset();
  if (!depth.empty()) session.forward(depth);
  const auto start = Clock::now();
  for (TokenId id : tokens) session.forward(std::span<const TokenId>(&id, 1));
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `tokens` steps of Session::decode_step over all the sessions.
double time_decode_together(std::vector<Session>& sessions, const std::vector<TokenId>& tokens) {
  std::vector<Session*> batch;
  for (Session& s : sessions) {
    s.reset();
    batch.push_back(&s);
  }
  std::vector<TokenId> step(sessions.size());
  const auto start = Clock::now();
  for (TokenId id : tokens) {
    std::fill(step.begin(), step.end(), id);
    Session::decode_step(batch, step);
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> tokens_per_second(const BenchResult& result) {
  std::vector<double> rates;
  for (double s : result.seconds) rates.push_back(result.tokens / s);
  return rates;
}

// Bytes one decode step reads when `tokens` steps start after `depth`
// cached positions: every Linear weight once (of a mixture of experts, a
// token's), and on average the cache of the steps (sliding-window layers:
// their window at most).
double decode_bytes_per_token(const ForwardCost& cost, int depth, int tokens) {
  double cache = 0;
  for (int t = 1; t <= tokens; ++t) cache += cost.kv_bytes(depth + t);
  return cost.linear_weight_bytes + cache / std::max(tokens, 1);
}

}  // namespace

Startup measure_startup(const std::function<std::shared_ptr<const Model>()>& load, std::shared_ptr<const Model>& model) {
  const auto start = Clock::now();
  model = load();
  Startup startup;
  startup.load_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Session session(model, SessionOptions{1});
  const TokenId first = std::max<TokenId>(model->tokenizer().bos_id(), 0);
  session.forward(std::span<const TokenId>(&first, 1));
  startup.first_token_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return startup;
}

double BenchResult::ceiling_fraction() const {
  return ceiling > 0 ? median_tokens_per_second() * work_per_token / ceiling : 0;
}

double BenchResult::median_tokens_per_second() const {
  auto rates = tokens_per_second(*this);
  if (rates.empty()) return 0;
  std::sort(rates.begin(), rates.end());
  const size_t n = rates.size();
  return n % 2 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
}

double BenchResult::stddev_tokens_per_second() const {
  const auto rates = tokens_per_second(*this);
  if (rates.size() < 2) return 0;
  const double mean = std::accumulate(rates.begin(), rates.end(), 0.0) / rates.size();
  double sq = 0;
  for (double r : rates) sq += (r - mean) * (r - mean);
  return std::sqrt(sq / (rates.size() - 1));
}

std::vector<BenchResult> run_bench(const std::shared_ptr<const Model>& model, const BenchOptions& options) {
  const int context = model->info().context_length;
  const int needed = std::max(options.prompt_tokens, options.depth + options.decode_tokens);
  if (options.depth < 0) throw Error("bench: the depth must be 0 or more");
  if (needed > context) {
    throw Error("bench needs " + std::to_string(needed) + " positions but the model's context is " +
                std::to_string(context) + "; lower -p / -n / -d");
  }
  if (options.repetitions < 1) throw Error("bench: repetitions must be at least 1");
  const std::vector<int> thread_counts = options.threads.empty() ? std::vector<int>{physical_cores()} : options.threads;
  const int saved_threads = num_threads();
  const auto prompt = random_tokens(options.prompt_tokens, model->info().vocab_size);
  const auto decode = random_tokens(options.decode_tokens, model->info().vocab_size);
  const auto depth = random_tokens(options.depth, model->info().vocab_size);
  const SessionOptions session_options{.context_length = needed, .cache_type_k = options.cache_type_k,
                                       .cache_type_v = options.cache_type_v};
  const ForwardCost cost = forward_cost(*model, options.prompt_tokens, session_options);
  const std::string at_depth = options.depth > 0 ? "@d" + std::to_string(options.depth) : "";

  std::vector<BenchResult> results;
  for (int threads : thread_counts) {
    set_num_threads(threads);
    omp_set_num_threads(threads);  // the probes run outside a Session
    Session session(model, session_options);
    if (options.prompt_tokens > 0) {
      BenchResult pp{"pp" + std::to_string(options.prompt_tokens), threads, options.prompt_tokens, {}};
      time_prefill(session, prompt);  // warm-up: plans and primitives are created here
      for (int r = 0; r < options.repetitions; ++r) pp.seconds.push_back(time_prefill(session, prompt));
      if (options.probe_ceilings) {
        pp.work_per_token = cost.prefill_flops_per_token;
        pp.ceiling = probe_gemm_flops(options.prompt_tokens, cost.prefill_shapes);
      }
      results.push_back(pp);
    }
    if (options.decode_tokens > 0) {
      BenchResult tg{"tg" + std::to_string(options.decode_tokens) + at_depth, threads, options.decode_tokens, {}};
      time_decode(session, depth, std::vector<TokenId>(decode.begin(), decode.begin() + 1));  // warm-up
      const bool peak_known = reset_peak_resident();
      for (int r = 0; r < options.repetitions; ++r) tg.seconds.push_back(time_decode(session, depth, decode));
      if (peak_known) tg.peak_rss_bytes = peak_resident_bytes();  // before the probes allocate
      tg.kv_cache_bytes = session.stats().kv_cache_bytes;
      if (options.probe_ceilings) {
        tg.work_per_token = decode_bytes_per_token(cost, options.depth, options.decode_tokens);
        tg.ceiling = probe_read_bandwidth();
      }
      results.push_back(tg);
    }
    if (options.decode_tokens > 0 && options.sessions > 1) {
      if (options.depth > 0) throw Error("bench: -d applies to single-session decoding; use -s 1");
      std::vector<Session> sessions;
      for (int i = 0; i < options.sessions; ++i) sessions.emplace_back(model, session_options);
      const int total = options.decode_tokens * options.sessions;
      BenchResult tg{"tg" + std::to_string(options.decode_tokens) + "/" + std::to_string(options.sessions), threads,
                     total, {}};
      time_decode_together(sessions, std::vector<TokenId>(decode.begin(), decode.begin() + 1));  // warm-up
      for (int r = 0; r < options.repetitions; ++r) tg.seconds.push_back(time_decode_together(sessions, decode));
      if (options.probe_ceilings) {
        // The weights are read once per step for all sessions; each reads its own cache.
        const double cache = decode_bytes_per_token(cost, 0, options.decode_tokens) - cost.linear_weight_bytes;
        tg.work_per_token = cost.linear_weight_bytes / options.sessions + cache;
        tg.ceiling = probe_read_bandwidth();
      }
      results.push_back(tg);
    }
  }
  set_num_threads(saved_threads);
  return results;
}

}  // namespace attn
