#include "engine/step_threads.h"

#include <algorithm>

namespace attn {
namespace {

// A try must beat the current count by this much to take over: step times
// jitter by a few per cent on an idle machine.
constexpr double kSwitchMargin = 0.9;

// The median of the first `count` (1-3) values.
double median_of(const std::array<double, 3>& v, int count) {
  if (count == 1) return v[0];
  if (count == 2) return (v[0] + v[1]) / 2;
  return std::max(std::min(v[0], v[1]), std::min(std::max(v[0], v[1]), v[2]));
}

}  // namespace

int StepThreads::for_step(int64_t rows) const {
  if (!governs(rows)) return all_;
  return trying_ > 0 ? tried_ : current_;
}

void StepThreads::record(int threads, int64_t rows, double seconds) {
  if (!governs(rows)) return;
  if (rows != rows_) {  // only steps of one size compare: start over
    rows_ = rows;
    recent_count_ = recent_next_ = 0;
    if (trying_ > 0) trying_ = 0, steps_to_try_ = kFirstTry;
  }
  if (trying_ > 0) {
    if (threads != tried_) return;
    tried_best_ = trying_ == kTrySteps ? seconds : std::min(tried_best_, seconds);
    if (--trying_ == 0) finish_try();
    return;
  }
  if (threads != current_) return;
  recent_[recent_next_] = seconds;
  recent_next_ = (recent_next_ + 1) % static_cast<int>(recent_.size());
  recent_count_ = std::min(recent_count_ + 1, static_cast<int>(recent_.size()));
  if (--steps_to_try_ <= 0) start_try();
}

void StepThreads::start_try() {
  const bool fewer = current_ == all_ || (current_ > 1 && try_fewer_);
  try_fewer_ = !try_fewer_;
  tried_ = fewer ? std::max(1, current_ / 2) : std::min(all_, current_ * 2);
  trying_ = kTrySteps;
}

void StepThreads::finish_try() {
  if (tried_best_ < kSwitchMargin * median_of(recent_, recent_count_)) {
    current_ = tried_;
    recent_count_ = recent_next_ = 0;
    interval_ = kFirstInterval;
  }
  steps_to_try_ = interval_;
  interval_ = std::min(2 * interval_, kMaxInterval);
}

}  // namespace attn
