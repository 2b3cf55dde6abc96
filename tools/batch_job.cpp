#include "batch_job.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "attn/attn.h"
#include "line_input.h"
#include "progress_bar.h"
#include "stop_signals.h"

namespace attn::cli {

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

void add_batch_job_options(CLI::App& cmd, BatchJobOptions& options) {
  cmd.add_option("-i,--input", options.input, "input file: text lines or JSON lines {\"text\":...} (default: stdin)");
  cmd.add_option("-o,--output", options.output, "output file (default: stdout)");
  cmd.add_option("--input-format", options.input_format, "auto: JSON lines if the first line is {\"text\":...}")
      ->check(CLI::IsMember({"auto", "text", "jsonl"}));
  cmd.add_flag("--resume", options.resume, "continue an interrupted run on the same -o file");
  cmd.add_option("--shard", options.shard, "take input lines with index % N == I - 1 (lines counted from 0)")
      ->check(shard_spec());
}

namespace {

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

}  // namespace

nlohmann::ordered_json job_identity(const char* command, const ModelOptions& options, const Model& model) {
  const ModelInfo& info = model.info();
  std::error_code ignored;
  return {{"command", command},
          {"model", {{"path", std::filesystem::weakly_canonical(options.model, ignored).string()},
                     {"architecture", info.architecture},
                     {"parameters", info.parameter_count},
                     {"weight_bytes", info.weight_bytes}}},
          {"options", {{"dtype", options.dtype.empty() ? "as stored" : options.dtype},
                       {"compute_type", compute_type_name(info.compute_type)},
                       {"tokenizer", options.tokenizer}}}};
}

BatchJob::BatchJob(const BatchJobOptions& options)
    : options_(options),
      file_(options.input.empty() ? std::ifstream() : open_input(options.input)),
      output_(options.output, options.resume) {}

const BatchJobTotals& BatchJob::run(const nlohmann::ordered_json& job, const Process& process) {
  const Shard shard = options_.shard.empty() ? Shard{} : *parse_shard(options_.shard);  // validated by CLI11
  std::istream& in = options_.input.empty() ? std::cin : file_;

  // The input format is part of the job, so the first line is read first.
  RecordFormat format = options_.input_format == "jsonl" ? RecordFormat::JsonLines : RecordFormat::Text;
  std::string line;
  bool have_line = read_line(in, line);
  if (have_line && options_.input_format == "auto") format = detect_record_format(line);
  nlohmann::ordered_json identity = job;
  identity["options"]["input_format"] = format == RecordFormat::JsonLines ? "jsonl" : "text";
  identity["options"]["shard"] = options_.shard.empty() ? "1/1" : options_.shard;
  output_.start(identity);
  const size_t done = output_.input_lines_done();

  ProgressBar progress(ProgressBar::shown() && !options_.input.empty() ? lines_to_do(options_.input, shard, done) : 0);
  catch_stop_signals();
  const auto start = std::chrono::steady_clock::now();

  std::vector<std::string> batch;
  std::vector<size_t> batch_lines;  // input line index of each batch entry
  InputDigest digest;               // of the input lines read so far
  size_t index = 0;                 // input lines read so far
  auto flush = [&] {
    const RecordBatch processed = process(batch, format);
    output_.write_batch(processed.output, index, digest);
    for (const RecordError& error : processed.errors) {
      std::fprintf(stderr, "attn: line %zu: %s\n", batch_lines[error.index] + 1, error.message.c_str());
    }
    totals_.errors += processed.errors.size();
    totals_.tokens += processed.tokens;
    totals_.lines += batch.size();
    batch.clear();
    batch_lines.clear();
    progress.update(totals_.lines, totals_.tokens);
  };
  for (; have_line; have_line = read_line(in, line)) {
    digest.add(line);
    const size_t line_index = index++;
    if (line_index < done) {  // covered by the resumed output, once the input is checked
      totals_.resumed_after += shard.owns(line_index) ? 1 : 0;
      if (index == done) output_.check_input(digest, index);
      continue;
    }
    if (!shard.owns(line_index)) continue;
    batch.push_back(line);
    batch_lines.push_back(line_index);
    if (batch.size() < options_.batch_size) continue;
    flush();
    if (stop_signal() != 0) break;
  }
  if (index < done) output_.check_input(digest, index);  // the input shrank
  if (!batch.empty() && stop_signal() == 0) flush();
  progress.update(totals_.lines, totals_.tokens);
  progress.finish();
  totals_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (const int signal = stop_signal()) {
    throw Error(std::string(signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)") + " after " +
                std::to_string(totals_.resumed_after + totals_.lines) + " lines; the output holds whole batches" +
                (options_.output.empty() ? "" : ": rerun with --resume to continue"));
  }
  return totals_;
}

void BatchJob::print_summary(const char* unit, const char* tokens_verb) const {
  const BatchJobTotals& t = totals_;
  const double seconds = std::max(t.seconds, 1e-9);
  std::fprintf(stderr, "attn: %zu %s (%zu with errors%s) in %.3f s (%.1f %s/s", t.lines, unit, t.errors,
               t.resumed_after > 0 ? (", resumed after " + std::to_string(t.resumed_after)).c_str() : "", t.seconds,
               t.lines / seconds, unit);
  if (t.tokens > 0) {
    std::fprintf(stderr, ", %lld tokens %s, %.1f tokens/s", static_cast<long long>(t.tokens), tokens_verb,
                 t.tokens / seconds);
  }
  std::fprintf(stderr, ", %d threads)\n", num_threads());
}

}  // namespace attn::cli
