// The loop `attn score` and `attn embed` share for long jobs: input records
// (plain lines or JSON lines, see score_input.h) in batches, each batch's
// output lines flushed as it completes; --resume continues a killed run
// after checking it is the same job on the same input (job_output.h),
// --shard I/N takes every N-th line for parallel processes, SIGINT/SIGTERM
// stop after the batch in hand, and a progress bar shows on terminals.
#pragma once

#include <cstdint>
#include <functional>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "attn/records.h"
#include "job_output.h"
#include "model_options.h"

namespace attn::cli {

// --shard I/N: this process takes input lines (counted from 0) with index % N == I - 1.
struct Shard {
  size_t index = 0;  // 0-based
  size_t count = 1;
  bool owns(size_t line) const { return line % count == index; }
};
std::optional<Shard> parse_shard(const std::string& text);
CLI::Validator shard_spec();

struct BatchJobOptions {
  std::string input;   // empty: stdin
  std::string output;  // empty: stdout
  std::string input_format = "auto";  // auto, text, jsonl
  std::string shard;   // "I/N", empty: all lines
  size_t batch_size = 32;
  bool resume = false;
};

struct BatchJobTotals {
  size_t lines = 0;    // records processed by this run
  size_t errors = 0;   // of them, records whose output is an error
  size_t resumed_after = 0;
  int64_t tokens = 0;  // tokens processed, when the job counts them (0: not shown)
  double seconds = 0;
};

// Adds the job's shared options (-i, -o, --input-format, --resume, --shard) to a command.
void add_batch_job_options(CLI::App& cmd, BatchJobOptions& options);

// The start of a job's identity for --resume: the command, the model (path,
// architecture, size) and the model options that change results; the
// command adds its own under "options". Not the batch size or the thread
// count: results do not depend on them.
nlohmann::ordered_json job_identity(const char* command, const ModelOptions& options, const Model& model);

class BatchJob {
 public:
  // Opens the input and the output, so a bad path fails before a model loads.
  explicit BatchJob(const BatchJobOptions& options);

  // Turns a batch of input lines into its output (one line per input line,
  // see attn/records.h). The job counts its errors (and names their input
  // lines on stderr) and its tokens.
  using Process = std::function<RecordBatch(std::span<const std::string> lines, RecordFormat format)>;
  // Runs the job. `job` is what --resume must find unchanged besides the
  // input (job_identity(); the input format and the shard are added here).
  // Throws attn::Error when a signal stopped it (the output holds whole
  // batches; the message says how to resume) or when --resume finds another
  // job or another input.
  const BatchJobTotals& run(const nlohmann::ordered_json& job, const Process& process);

  // "attn: N lines (E with errors) in S s (L lines/s[, T tokens/s], K threads)"
  // on stderr, with `unit` for "lines".
  void print_summary(const char* unit, const char* tokens_verb) const;

 private:
  BatchJobOptions options_;
  std::ifstream file_;
  JobOutput output_;
  BatchJobTotals totals_;
};

}  // namespace attn::cli
