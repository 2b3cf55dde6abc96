// Where a resumable batch job writes its JSON lines: stdout, or a file that
// --resume reopens after the last whole batch it holds.
#pragma once

#include <cstdio>
#include <string>

namespace attn::cli {

class JobOutput {
 public:
  // path empty: stdout. resume: keep the file's first whole batches of
  // batch_size lines (a killed run may have left part of a batch, or half
  // a line) and append after them; a missing file starts fresh. Batches of
  // a resumed run then fall where the uninterrupted run put them, so its
  // output is byte-identical. Throws attn::Error when the file cannot be written.
  JobOutput(const std::string& path, bool resume, size_t batch_size);
  ~JobOutput();
  JobOutput(const JobOutput&) = delete;
  JobOutput& operator=(const JobOutput&) = delete;

  size_t lines_kept() const { return lines_kept_; }
  // Writes one batch's lines and flushes them, so they survive a kill.
  void write_batch(const std::string& lines);

 private:
  std::string path_;
  FILE* file_ = nullptr;
  size_t lines_kept_ = 0;
};

}  // namespace attn::cli
