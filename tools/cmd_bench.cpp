// attn bench: prefill and decode throughput, as a llama-bench style table.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cache_options.h"
#include "commands.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct BenchArgs {
  ModelOptions model;
  CacheOptions cache;
  BenchOptions options;
  std::vector<int> threads;
  bool json = false;
};

std::string human_count(double n) {
  char buffer[32];
  if (n >= 1e9) std::snprintf(buffer, sizeof buffer, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(buffer, sizeof buffer, "%.2f M", n / 1e6);
  else std::snprintf(buffer, sizeof buffer, "%.2f K", n / 1e3);
  return buffer;
}

void print_table(const ModelInfo& info, const std::vector<BenchResult>& results) {
  std::printf("| model | size | params | threads | test | t/s | ceiling | of ceiling |\n");
  std::printf("| ----- | ---: | -----: | ------: | ---: | --: | ------: | ---------: |\n");
  for (const BenchResult& r : results) {
    // Decode is bound by memory bandwidth, prefill by GEMM throughput.
    const bool decode = r.test.rfind("tg", 0) == 0;
    char ceiling[48] = "-", fraction[16] = "-";
    if (r.ceiling > 0) {
      std::snprintf(ceiling, sizeof ceiling, decode ? "%.1f GB/s" : "%.1f GFLOP/s", r.ceiling / 1e9);
      std::snprintf(fraction, sizeof fraction, "%.0f %%", 100 * r.ceiling_fraction());
    }
    std::printf("| %s | %.2f MiB | %s | %d | %s | %.2f ± %.2f | %s | %s |\n", info.architecture.c_str(),
                info.weight_bytes / 1048576.0, human_count(static_cast<double>(info.parameter_count)).c_str(),
                r.threads, r.test.c_str(), r.median_tokens_per_second(), r.stddev_tokens_per_second(), ceiling,
                fraction);
  }
}

// Peak RSS against what decoding must hold: the weights and the KV cache.
void print_memory_and_startup(const ModelInfo& info, const Startup& startup, const std::vector<BenchResult>& results) {
  std::printf("\ncompute type: %s\n", compute_type_name(info.compute_type).data());
  std::printf("start-up: model loaded in %.3f s, first token after %.3f s\n", startup.load_seconds,
              startup.first_token_seconds);
  for (const BenchResult& r : results) {
    if (r.peak_rss_bytes == 0) continue;
    const double needed = static_cast<double>(info.weight_bytes + r.kv_cache_bytes);
    std::printf("peak RSS while decoding (%d threads): %.1f MiB = weights %.1f MiB + KV cache %.1f MiB %+.1f %%\n",
                r.threads, r.peak_rss_bytes / 1048576.0, info.weight_bytes / 1048576.0, r.kv_cache_bytes / 1048576.0,
                100 * (r.peak_rss_bytes / needed - 1));
  }
}

void print_json_lines(const ModelInfo& info, const Startup& startup, const std::vector<BenchResult>& results) {
  for (const BenchResult& r : results) {
    const nlohmann::json line{{"model", info.path.string()},
                              {"architecture", info.architecture},
                              {"parameters", info.parameter_count},
                              {"weight_bytes", info.weight_bytes},
                              {"compute_type", compute_type_name(info.compute_type)},
                              {"threads", r.threads},
                              {"test", r.test},
                              {"n_tokens", r.tokens},
                              {"median_tokens_per_second", r.median_tokens_per_second()},
                              {"stddev_tokens_per_second", r.stddev_tokens_per_second()},
                              {"samples_seconds", r.seconds},
                              {"work_per_token", r.work_per_token},
                              {"ceiling", r.ceiling},
                              {"ceiling_fraction", r.ceiling_fraction()},
                              {"peak_rss_bytes", r.peak_rss_bytes},
                              {"kv_cache_bytes", r.kv_cache_bytes},
                              {"load_seconds", startup.load_seconds},
                              {"first_token_seconds", startup.first_token_seconds},
                              {"runtime", runtime_description()}};
    std::printf("%s\n", line.dump().c_str());
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prefill (pp) and decode (tg) tokens/s");
  args->model.add_to(*cmd, false);
  args->model.add_precision_options_to(*cmd);
  cmd->add_option("-p,--n-prompt", args->options.prompt_tokens, "prompt tokens for the prefill test (0 = skip)")
      ->default_val(128)->check(non_negative());
  cmd->add_option("-n,--n-gen", args->options.decode_tokens, "tokens for the decode test (0 = skip)")
      ->default_val(64)->check(non_negative());
  cmd->add_option("-t,--threads", args->threads, "comma-separated thread counts, e.g. 1,2")->delimiter(',')
      ->check(positive());
  cmd->add_option("-r,--repetitions", args->options.repetitions, "repetitions per test (median reported)")
      ->default_val(5)->check(positive());
  cmd->add_option("-s,--sessions", args->options.sessions,
                  "also decode with this many sessions in one forward pass per token (test tgN/S)")
      ->default_val(1)->check(positive());
  cmd->add_option("-d,--n-depth", args->options.depth, "decode after a prefill of this many tokens (test tgN@dD)")
      ->default_val(0)->check(non_negative());
  args->cache.add_to(*cmd);
  cmd->add_flag("--json", args->json, "JSON lines, one per test");
  cmd->add_flag("!--no-probe", args->options.probe_ceilings, "skip the bandwidth and GEMM ceiling probes");
  cmd->callback([args] {
    std::shared_ptr<const Model> model;
    const Startup startup = measure_startup([&] { return args->model.load(); }, model);
    args->options.threads = args->threads;
    const SessionOptions cache = args->cache.session();
    args->options.cache_type_k = cache.cache_type_k;
    args->options.cache_type_v = cache.cache_type_v;
    const auto results = run_bench(model, args->options);
    if (args->json) {
      print_json_lines(model->info(), startup, results);
    } else {
      print_table(model->info(), results);
      print_memory_and_startup(model->info(), startup, results);
    }
  });
}

}  // namespace attn::cli
