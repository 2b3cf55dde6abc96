#include "batch_job.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
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

// Lines this process will handle, for the progress bar (files only: stdin cannot be read twice).
size_t lines_to_do(const std::string& path, const Shard& shard, size_t already_done) {
  std::ifstream file = open_input(path);
  size_t lines = 0, index = 0;
  for (std::string line; read_line(file, line); ++index) lines += shard.owns(index) ? 1 : 0;
  return lines > already_done ? lines - already_done : 0;
}

}  // namespace

BatchJob::BatchJob(const BatchJobOptions& options)
    : options_(options),
      file_(options.input.empty() ? std::ifstream() : open_input(options.input)),
      output_(options.output, options.resume, options.batch_size) {
  totals_.resumed_after = output_.lines_kept();
}

const BatchJobTotals& BatchJob::run(const Process& process) {
  const Shard shard = options_.shard.empty() ? Shard{} : *parse_shard(options_.shard);  // validated by CLI11
  std::istream& in = options_.input.empty() ? std::cin : file_;
  const size_t skip = totals_.resumed_after;
  ProgressBar progress(ProgressBar::shown() && !options_.input.empty() ? lines_to_do(options_.input, shard, skip) : 0);
  catch_stop_signals();
  const auto start = std::chrono::steady_clock::now();

  RecordFormat format = options_.input_format == "jsonl" ? RecordFormat::JsonLines : RecordFormat::Text;
  std::vector<std::string> batch;
  std::vector<size_t> batch_lines;  // input line index of each batch entry
  auto flush = [&] {
    const RecordBatch done = process(batch, format);
    output_.write_batch(done.output);
    for (const RecordError& error : done.errors) {
      std::fprintf(stderr, "attn: line %zu: %s\n", batch_lines[error.index] + 1, error.message.c_str());
    }
    totals_.errors += done.errors.size();
    totals_.tokens += done.tokens;
    totals_.lines += batch.size();
    batch.clear();
    batch_lines.clear();
    progress.update(totals_.lines, totals_.tokens);
  };
  size_t owned = 0;  // lines of this shard seen so far
  std::string line;
  for (size_t index = 0; read_line(in, line); ++index) {
    if (index == 0 && options_.input_format == "auto") format = detect_record_format(line);
    if (!shard.owns(index) || owned++ < skip) continue;
    batch.push_back(line);
    batch_lines.push_back(index);
    if (batch.size() < options_.batch_size) continue;
    flush();
    if (stop_signal() != 0) break;
  }
  if (!batch.empty() && stop_signal() == 0) flush();
  progress.update(totals_.lines, totals_.tokens);
  progress.finish();
  totals_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (const int signal = stop_signal()) {
    throw Error(std::string(signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)") + " after " +
                std::to_string(skip + totals_.lines) + " lines; the output holds whole batches" +
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
