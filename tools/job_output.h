// Where a resumable batch job (score, embed) writes its output: stdout, or a
// file with a resume log beside it (FILE.resume.jsonl) that --resume checks
// before continuing.
//
// The log's first line is the job: the command, the model's identity and
// every option that changes the output. After each batch is written and
// flushed, a checkpoint line is appended: input lines consumed, a hash of
// them, output bytes. --resume refuses a log whose job differs (saying what
// changed), cuts the output back to the last checkpoint it holds whole (a
// kill may leave part of a batch or half a line), and the caller checks the
// input's first lines against the checkpoint's hash. Results do not depend
// on the batch size, so it is not part of the job: a resume may use another.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace attn::cli {

// FNV-1a over the input lines consumed (each line's bytes and a '\n').
class InputDigest {
 public:
  void add(const std::string& line);
  std::string hex() const;

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

class JobOutput {
 public:
  // path empty: stdout (no --resume). Opens the file at once, so an
  // unwritable path fails before the model loads; a fresh run truncates it.
  // Throws attn::Error.
  JobOutput(const std::string& path, bool resume);
  ~JobOutput();
  JobOutput(const JobOutput&) = delete;
  JobOutput& operator=(const JobOutput&) = delete;

  // Records `job` (a fresh run, or --resume without an output yet), or
  // checks it against the log (--resume) and cuts the output back to the
  // last whole checkpoint. Throws attn::Error naming what changed.
  void start(const nlohmann::ordered_json& job);
  // Input lines the kept output covers; the caller skips them after
  // check_input agrees they are the lines that were scored.
  size_t input_lines_done() const { return input_lines_done_; }
  // `digest` of the first input_lines_done() lines read (or of all of
  // them, `lines_read`, when the input ended first): throws attn::Error when
  // the input is shorter or differs.
  void check_input(const InputDigest& digest, size_t lines_read) const;

  // Writes one batch's output and flushes it, then appends the checkpoint
  // (input lines consumed so far and their digest), so both survive a kill.
  void write_batch(const std::string& bytes, size_t input_lines, const InputDigest& digest);
  // Writes and flushes output that is not resumable (no start(), no log).
  void write(const std::string& bytes);

 private:
  void write_log_line(const nlohmann::ordered_json& entry);
  [[noreturn]] void fail_write(const std::string& path) const;

  std::string path_, log_path_;
  bool resume_ = false;
  FILE* file_ = nullptr;
  FILE* log_ = nullptr;
  uint64_t output_bytes_ = 0;
  size_t input_lines_done_ = 0;
  std::string input_hash_done_;
};

}  // namespace attn::cli
