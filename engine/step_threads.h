// How many threads a decode step runs on when the thread count is the
// default (set_num_threads never called with a count, no ATTN_THREADS).
//
// On an idle machine every core is fastest. When other processes hold the
// cores, each of a step's ~100 parallel regions waits at its barrier for
// whichever thread the scheduler has parked, and fewer threads are faster:
// `attn generate` under two busy loops on 2 cores decoded 48-92 tokens/s on
// 2 threads against 87-98 on one. So decode steps are timed as they run,
// and now and then a couple of steps try half (or, below the default,
// twice) the current count; the faster keeps the steps until the next try.
// The first try comes after kFirstTry steps, so a short generation on a busy
// machine is not spent on the slow count; then after kFirstInterval steps,
// and twice as far apart each time the current count stays faster, so an
// idle machine pays for a few slower steps only. (No guess from the load
// average instead: this machine's showed a runnable task from outside its
// container whenever it was idle.)
//
// Longer steps (prefill, scoring batches) keep every thread: their regions
// are long enough that a parked thread costs a share, not a multiple
// (scripts/bench_threads_under_load.sh). Results never depend on the count
// (every output is one thread's whole work), so a switch changes speed only.
#pragma once

#include <array>
#include <cstdint>

namespace attn {

// Whether the thread count is attn's default rather than one the caller
// chose (engine/threads.cpp).
bool default_thread_count();

class StepThreads {
 public:
  // Steps of at most this many rows are decode steps (one row per sequence).
  static constexpr int64_t kMaxDecodeRows = 8;
  static constexpr int kFirstTry = 2;
  static constexpr int kFirstInterval = 16;
  static constexpr int kMaxInterval = 1024;
  static constexpr int kTrySteps = 2;

  // `all`: the configured count; `adapt`: whether to adapt at all.
  StepThreads(int all, bool adapt) : all_(all), current_(all), adapt_(adapt && all > 1) {}

  bool configured_for(int all, bool adapt) const { return all_ == all && adapt_ == (adapt && all > 1); }
  // Threads for the next step of `rows` rows.
  int for_step(int64_t rows) const;
  // The step just run on `threads` took `seconds`.
  void record(int threads, int64_t rows, double seconds);

 private:
  bool governs(int64_t rows) const { return adapt_ && rows <= kMaxDecodeRows; }
  void start_try();
  void finish_try();

  int all_, current_;
  bool adapt_;
  int interval_ = kFirstInterval;
  int steps_to_try_ = kFirstTry;
  bool try_fewer_ = true;  // the next try's direction, when both are open
  int tried_ = 0;          // the count being tried
  int trying_ = 0;         // steps of the try still to run
  // Seconds of the current count's last three steps, and the best of the
  // try's steps (the first after a switch may wake threads), all of rows_
  // rows.
  int64_t rows_ = 0;
  std::array<double, 3> recent_{};
  int recent_count_ = 0, recent_next_ = 0;
  double tried_best_ = 0;
};

}  // namespace attn
