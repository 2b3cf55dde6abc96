// A one-line progress bar on stderr for long batch jobs: lines/s, tokens/s
// (when tokens are counted) and, when the total is known, the fraction done
// and an ETA. Drawn only
// when stderr is a terminal, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace attn::cli {

class ProgressBar {
 public:
  // Whether a bar is drawn at all (stderr is a terminal).
  static bool shown();
  // total: lines this run will process; 0 when unknown (stdin).
  explicit ProgressBar(size_t total);
  void update(size_t lines, int64_t tokens);
  // Ends the bar's line (if one was drawn).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  size_t total_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  bool drawn_ = false;
};

}  // namespace attn::cli
