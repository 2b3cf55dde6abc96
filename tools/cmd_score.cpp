// attn score: log-likelihood of every input line under a decoder, or label
// scores from a sequence classifier, one JSON line per input line in input
// order; or --perplexity of the whole input.
// Long jobs: batches are flushed as they complete, --resume continues a
// killed run, SIGINT/SIGTERM stop after the batch in hand, --shard I/N
// takes every N-th line for parallel processes.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "batch_job.h"
#include "cache_options.h"
#include "commands.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct ScoreArgs {
  ModelOptions model;
  CacheOptions cache;
  BatchJobOptions job;
  int batch_size = 32;
  bool truncate = false;
  bool token_logprobs = false;
  bool perplexity = false;
  int ctx = 0;
  int stride = 0;
  std::string ppl_method = "hf";
};

void run_scoring(const ScoreArgs& args) {
  BatchJobOptions job_options = args.job;
  job_options.batch_size = static_cast<size_t>(args.batch_size);
  BatchJob job(job_options);  // fails on a bad input or output path before loading
  Session session(args.model.load(), args.cache.session());
  require_record_task(session.model(), RecordTask::Score);
  RecordOptions options;
  options.score = ScoreOptions{args.batch_size, args.truncate, args.token_logprobs};
  nlohmann::ordered_json identity = job_identity("score", args.model, session.model());
  identity["options"]["truncate"] = args.truncate;
  identity["options"]["token_logprobs"] = args.token_logprobs;
  const BatchJobTotals& totals = job.run(identity, [&](std::span<const std::string> lines, RecordFormat format) {
    options.format = format;
    return process_records(session, RecordTask::Score, lines, options);
  });
  job.print_summary("lines", "scored");
  if (totals.errors > 0) {
    throw Error(std::to_string(totals.errors) + " of the lines could not be scored (see their \"error\" fields)");
  }
}

void run_perplexity(const ScoreArgs& args) {
  if (args.job.resume || !args.job.shard.empty())
    throw Error("--perplexity reads the whole input; --resume and --shard do not apply");
  std::ifstream file;
  if (!args.job.input.empty()) {
    file.open(args.job.input, std::ios::binary);
    if (!file) throw Error(args.job.input + ": cannot read the input file: " + std::strerror(errno));
  }
  std::istream& in = args.job.input.empty() ? std::cin : file;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  JobOutput output(args.job.output, false);

  Session session(args.model.load(), args.cache.session(args.ctx));  // -c beyond the default context raises it
  PerplexityOptions options;
  options.context = args.ctx;
  options.stride = args.stride;
  options.method = args.ppl_method == "llama.cpp" ? PerplexityMethod::SecondHalf : PerplexityMethod::SlidingWindow;
  options.batch_size = args.batch_size;
  std::vector<TokenId> tokens;
  try {
    tokens = session.model().tokenizer().encode(text, true);
  } catch (const Error& e) {
    throw Error((args.job.input.empty() ? std::string("stdin") : args.job.input) + ": " + e.what());
  }
  const PerplexityResult result = perplexity(session, tokens, options);

  const int context = options.context > 0 ? options.context : session.context_length();
  nlohmann::ordered_json out;
  out["ppl"] = result.ppl();
  out["nll"] = result.nll();
  out["tokens"] = result.tokens;
  out["chunks"] = result.chunks;
  out["ctx"] = context;
  if (options.method == PerplexityMethod::SlidingWindow) out["stride"] = options.stride > 0 ? options.stride : context;
  out["method"] = args.ppl_method;
  output.write(out.dump() + "\n");
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* cmd = app.add_subcommand(
      "score", "Log-likelihood of each input line (decoders), label scores (classifiers), or --perplexity");
  args->model.add_to(*cmd);
  args->cache.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
  add_batch_job_options(*cmd, args->job);
  cmd->add_option("--batch-size", args->batch_size, "lines (or perplexity windows) per forward pass")
      ->check(number_in(1, 1e6, "1..1000000"));
  cmd->add_flag("--truncate", args->truncate, "score the first context-length tokens of longer lines (reported)");
  cmd->add_flag("--token-logprobs", args->token_logprobs, "also write each scored token's log-probability");
  cmd->add_flag("--perplexity", args->perplexity, "perplexity of the whole input as one text");
  cmd->add_option("-c,--ctx-size,--ctx", args->ctx, "--perplexity: tokens per window (default: 4096, or the model's context if smaller)")
      ->check(number_in(2, 1e9, ">= 2"));
  cmd->add_option("--stride", args->stride, "--perplexity hf: tokens between window starts (default: --ctx)")
      ->check(number_in(1, 1e9, ">= 1"));
  cmd->add_option("--ppl-method", args->ppl_method,
                  "hf: sliding windows of the Hugging Face guide; llama.cpp: disjoint chunks, second halves scored")
      ->check(CLI::IsMember({"hf", "llama.cpp"}));
  cmd->callback([args] { args->perplexity ? run_perplexity(*args) : run_scoring(*args); });
}

}  // namespace attn::cli
