// attn score: log-likelihood of every input line under a decoder, or label
// scores from a sequence classifier, one JSON line per input line in input
// order; or --perplexity of the whole input.
// Long jobs: batches are flushed as they complete, --resume continues a
// killed run, SIGINT/SIGTERM stop after the batch in hand, --shard I/N
// takes every N-th line for parallel processes.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "json_text.h"
#include "job_output.h"
#include "line_input.h"
#include "model_options.h"
#include "progress_bar.h"
#include "record_results.h"
#include "score_input.h"
#include "stop_signals.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct ScoreArgs {
  ModelOptions model;
  std::string input;   // empty: stdin
  std::string output;  // empty: stdout
  std::string input_format = "auto";
  int batch_size = 32;
  bool truncate = false;
  bool token_logprobs = false;
  bool resume = false;
  std::string shard;  // "I/N"
  bool perplexity = false;
  int ctx = 0;
  int stride = 0;
  std::string ppl_method = "hf";
};

// --shard I/N: this process takes input lines (counted from 0) with index % N == I - 1.
struct Shard {
  size_t index = 0;  // 0-based
  size_t count = 1;
  bool owns(size_t line) const { return line % count == index; }
};

std::optional<Shard> parse_shard(const std::string& text) {
  size_t i = 0, n = 0;
  char slash = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%zu%c%zu%c", &i, &slash, &n, &extra) != 3 || slash != '/' || i < 1 || i > n) {
    return std::nullopt;
  }
  return Shard{i - 1, n};
}

CLI::Validator shard_spec() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return parse_shard(value) ? "" : "'" + value + "' is not I/N with 1 <= I <= N (e.g. 2/8)";
      },
      "I/N");
}

std::string json_line(const nlohmann::ordered_json& json) {
  return json_text(json) + "\n";
}

struct Totals {
  size_t lines = 0;
  size_t errors = 0;
  int64_t tokens = 0;
};

// Scores one batch of records (log-likelihoods, or label scores from a
// classifier) and writes its output lines.
void score_batch(Session& session, std::vector<InputRecord>& batch, const ScoreArgs& args, JobOutput& output,
                 size_t input_lines, const InputDigest& digest, Totals& totals) {
  Results results;
  if (session.model().info().encoder) {
    results = classification_results(session, batch, ClassifyOptions{args.batch_size, args.truncate});
  } else {
    results = likelihood_results(session, batch, ScoreOptions{args.batch_size, args.truncate, args.token_logprobs},
                                 totals.tokens);
  }
  std::string lines;
  for (const nlohmann::ordered_json& out : results) {
    if (out.contains("error")) ++totals.errors;
    lines += json_line(out);
  }
  output.write_batch(lines, input_lines, digest);
  totals.lines += batch.size();
  batch.clear();
}

// Decoders are scored, sequence classifiers classify; other encoders have nothing to give.
void check_scorable(const Model& model) {
  const ModelInfo& info = model.info();
  if (info.encoder && info.class_labels.empty()) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is an encoder without a classification head; attn score needs a decoder (log-likelihood) or a "
                "*ForSequenceClassification model (for sentence embeddings use attn embed)");
  }
}

std::ifstream open_input(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot read the input file: " + std::strerror(errno));
  return file;
}

// Lines this process will handle, for the progress bar (files only: stdin
// cannot be read twice), after the first `input_lines_done` of the input.
size_t lines_to_do(const std::string& path, const Shard& shard, size_t input_lines_done) {
  std::ifstream file = open_input(path);
  size_t lines = 0, index = 0;
  for (std::string line; read_line(file, line); ++index) lines += shard.owns(index) && index >= input_lines_done ? 1 : 0;
  return lines;
}

// What --resume must find unchanged: the model and the options that change
// the output, the batch size included (batched results differ from single
// ones in the last digits).
nlohmann::ordered_json job_identity(const ScoreArgs& args, const Model& model, InputFormat format) {
  const ModelInfo& info = model.info();
  std::error_code ignored;
  return {{"command", "score"},
          {"model", {{"path", std::filesystem::weakly_canonical(args.model.model, ignored).string()},
                     {"architecture", info.architecture},
                     {"parameters", info.parameter_count},
                     {"weight_bytes", info.weight_bytes}}},
          {"options", {{"dtype", args.model.dtype.empty() ? "as stored" : args.model.dtype},
                       {"tokenizer", args.model.tokenizer},
                       {"input_format", format == InputFormat::JsonLines ? "jsonl" : "text"},
                       {"batch_size", args.batch_size},
                       {"truncate", args.truncate},
                       {"token_logprobs", args.token_logprobs},
                       {"shard", args.shard.empty() ? "1/1" : args.shard}}}};
}

void run_scoring(const ScoreArgs& args) {
  const Shard shard = args.shard.empty() ? Shard{} : *parse_shard(args.shard);  // validated by CLI11
  std::ifstream file;
  if (!args.input.empty()) file = open_input(args.input);
  std::istream& in = args.input.empty() ? std::cin : file;
  JobOutput output(args.output, args.resume);  // fail on an unwritable path before loading

  Session session(args.model.load());
  check_scorable(session.model());
  const bool pairs = session.model().info().encoder;

  // The format decides the job's identity, so the first line is read first.
  InputFormat format = args.input_format == "jsonl" ? InputFormat::JsonLines : InputFormat::Text;
  std::string line;
  bool have_line = read_line(in, line);
  if (have_line && args.input_format == "auto") format = detect_format(line);
  output.start(job_identity(args, session.model(), format));
  const size_t done = output.input_lines_done();
  ProgressBar progress(ProgressBar::shown() && !args.input.empty() ? lines_to_do(args.input, shard, done) : 0);
  catch_stop_signals();
  const auto start = std::chrono::steady_clock::now();

  std::vector<InputRecord> batch;
  Totals totals;
  InputDigest digest;
  size_t index = 0;  // input lines read
  size_t skipped = 0;  // lines of this shard the resumed output already holds
  for (; have_line; have_line = read_line(in, line)) {
    digest.add(line);
    if (index++ < done) {
      skipped += shard.owns(index - 1) ? 1 : 0;
      if (index == done) output.check_input(digest, index);
      continue;
    }
    if (!shard.owns(index - 1)) continue;
    batch.push_back(parse_record(line, format, pairs));
    if (batch.size() < static_cast<size_t>(args.batch_size)) continue;
    score_batch(session, batch, args, output, index, digest, totals);
    progress.update(totals.lines, totals.tokens);
    if (stop_signal() != 0) break;
  }
  if (index < done) output.check_input(digest, index);
  if (!batch.empty() && stop_signal() == 0) score_batch(session, batch, args, output, index, digest, totals);
  progress.update(totals.lines, totals.tokens);
  progress.finish();

  if (const int signal = stop_signal()) {
    throw Error(std::string(signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)") + " after " +
                std::to_string(skipped + totals.lines) + " lines; the output holds whole batches" +
                (args.output.empty() ? "" : ": rerun with --resume to continue"));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "attn: %zu lines (%zu with errors%s) in %.3f s (%.1f lines/s", totals.lines, totals.errors,
               skipped > 0 ? (", resumed after " + std::to_string(skipped)).c_str() : "", seconds,
               totals.lines / std::max(seconds, 1e-9));
  if (totals.tokens > 0) {
    std::fprintf(stderr, ", %lld tokens scored, %.1f tokens/s", static_cast<long long>(totals.tokens),
                 totals.tokens / std::max(seconds, 1e-9));
  }
  std::fprintf(stderr, ", %d threads)\n", num_threads());
  if (totals.errors > 0) {
    throw Error(std::to_string(totals.errors) + " of the lines could not be scored (see their \"error\" fields)");
  }
}

void run_perplexity(const ScoreArgs& args) {
  if (args.resume || !args.shard.empty()) throw Error("--perplexity reads the whole input; --resume and --shard do not apply");
  std::ifstream file;
  if (!args.input.empty()) file = open_input(args.input);
  std::istream& in = args.input.empty() ? std::cin : file;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  JobOutput output(args.output, false);

  Session session(args.model.load());
  PerplexityOptions options;
  options.context = args.ctx;
  options.stride = args.stride;
  options.method = args.ppl_method == "llama.cpp" ? PerplexityMethod::SecondHalf : PerplexityMethod::SlidingWindow;
  options.batch_size = args.batch_size;
  std::vector<TokenId> tokens;
  try {
    tokens = session.model().tokenizer().encode(text, true);
  } catch (const Error& e) {
    throw Error((args.input.empty() ? std::string("stdin") : args.input) + ": " + e.what());
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
  output.write_batch(json_line(out), 0, InputDigest());
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* cmd = app.add_subcommand(
      "score", "Log-likelihood of each input line (decoders), label scores (classifiers), or --perplexity");
  args->model.add_to(*cmd);
  args->model.add_dtype_to(*cmd);
  cmd->add_option("-i,--input", args->input, "input file: text lines or JSON lines {\"text\":...} (default: stdin)");
  cmd->add_option("-o,--output", args->output, "output file of JSON lines (default: stdout)");
  cmd->add_option("--input-format", args->input_format, "auto: JSON lines if the first line is {\"text\":...}")
      ->check(CLI::IsMember({"auto", "text", "jsonl"}));
  cmd->add_option("--batch-size", args->batch_size, "lines (or perplexity windows) per forward pass")
      ->check(number_in(1, 1e6, "1..1000000"));
  cmd->add_flag("--truncate", args->truncate, "score the first context-length tokens of longer lines (reported)");
  cmd->add_flag("--token-logprobs", args->token_logprobs, "also write each scored token's log-probability");
  cmd->add_flag("--resume", args->resume, "continue an interrupted run on the same -o file");
  cmd->add_option("--shard", args->shard, "take input lines with index % N == I - 1 (lines counted from 0)")
      ->check(shard_spec());
  cmd->add_flag("--perplexity", args->perplexity, "perplexity of the whole input as one text");
  cmd->add_option("--ctx", args->ctx, "--perplexity: tokens per window (default: the model's context)")
      ->check(number_in(2, 1e9, ">= 2"));
  cmd->add_option("--stride", args->stride, "--perplexity hf: tokens between window starts (default: --ctx)")
      ->check(number_in(1, 1e9, ">= 1"));
  cmd->add_option("--ppl-method", args->ppl_method,
                  "hf: sliding windows of the Hugging Face guide; llama.cpp: disjoint chunks, second halves scored")
      ->check(CLI::IsMember({"hf", "llama.cpp"}));
  cmd->callback([args] { args->perplexity ? run_perplexity(*args) : run_scoring(*args); });
}

}  // namespace attn::cli
