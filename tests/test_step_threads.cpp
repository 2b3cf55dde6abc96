// StepThreads, the default thread count's choice for decode steps
// (engine/step_threads.h), fed step times as an idle and a busy machine
// would give them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <vector>

#include "attn/model.h"
#include "engine/step_threads.h"

namespace {

using attn::StepThreads;

// Runs `steps` one-row steps, each taking seconds_for(threads); returns
// the thread count of each.
std::vector<int> run_steps(StepThreads& governor, int steps, const std::function<double(int)>& seconds_for) {
  std::vector<int> counts;
  for (int i = 0; i < steps; ++i) {
    const int threads = governor.for_step(1);
    counts.push_back(threads);
    governor.record(threads, 1, seconds_for(threads));
  }
  return counts;
}

int count_of(const std::vector<int>& counts, int threads, size_t from = 0) {
  int n = 0;
  for (size_t i = from; i < counts.size(); ++i) n += counts[i] == threads;
  return n;
}

}  // namespace

TEST_CASE("on an idle machine all threads keep the steps, tried ever more rarely") {
  StepThreads governor(2, true);
  const auto counts = run_steps(governor, 200, [](int threads) { return threads == 2 ? 1.0 : 1.6; });
  // Tries of two steps after kFirstTry, 16, 32 and 64 steps, and the next after 128 more.
  std::vector<int> expected;
  for (int interval : {StepThreads::kFirstTry, 16, 32, 64}) {
    expected.insert(expected.end(), interval, 2);
    expected.insert(expected.end(), StepThreads::kTrySteps, 1);
  }
  expected.resize(200, 2);
  CHECK(counts == expected);
}

TEST_CASE("on a busy machine one thread takes over after the first try and stays") {
  StepThreads governor(2, true);
  const auto counts = run_steps(governor, 300, [](int threads) { return threads == 2 ? 2.0 : 1.0; });
  const size_t switched = StepThreads::kFirstTry + StepThreads::kTrySteps;
  // From one thread it tries two again, after 16, 32, 64 and 128 steps.
  CHECK(count_of(counts, 2) == StepThreads::kFirstTry + 4 * StepThreads::kTrySteps);
  CHECK(count_of(counts, 1, switched) == static_cast<int>(counts.size() - switched) - 4 * StepThreads::kTrySteps);
  CHECK(counts[switched + 16] == 2);
  CHECK(counts[switched + 16 + 2 + 32] == 2);
}

TEST_CASE("when the load goes away, all threads come back at the next try") {
  StepThreads governor(2, true);
  bool busy = true;
  const auto seconds = [&](int threads) { return (threads == 2) == busy ? 2.0 : 1.0; };
  run_steps(governor, 30, seconds);
  CHECK(governor.for_step(1) == 1);
  busy = false;
  const auto counts = run_steps(governor, 40, seconds);
  CHECK(counts.back() == 2);
}

TEST_CASE("many cores halve step by step under load, and try twice as many from below") {
  StepThreads governor(8, true);
  // Fewer is faster down to two threads, which is best.
  const auto seconds = [](int threads) { return threads == 2 ? 1.0 : threads == 1 ? 1.5 : threads / 2.0; };
  const auto counts = run_steps(governor, 400, seconds);
  CHECK(counts[0] == 8);
  CHECK(count_of(counts, 4) > 0);
  CHECK(counts.back() == 2);
  CHECK(count_of(counts, 2, 200) > 180);
  CHECK(count_of(counts, 1, 200) > 0);  // tried now and then, and dropped
}

TEST_CASE("only steps of one size compare: a step of another size starts over") {
  StepThreads governor(2, true);
  const auto seconds = [](int threads, int64_t rows) { return rows * (threads == 2 ? 2.0 : 1.0); };
  for (int i = 0; i < StepThreads::kFirstTry; ++i) governor.record(governor.for_step(1), 1, seconds(2, 1));
  const int tried = governor.for_step(3);
  CHECK(tried == 1);
  governor.record(tried, 3, seconds(tried, 3));  // the try is dropped, not judged on a 3-row step
  CHECK(governor.for_step(3) == 2);
  for (int i = 0; i < StepThreads::kFirstTry; ++i) governor.record(governor.for_step(3), 3, seconds(2, 3));
  for (int i = 0; i < StepThreads::kTrySteps; ++i) governor.record(governor.for_step(3), 3, seconds(1, 3));
  CHECK(governor.for_step(3) == 1);
}

TEST_CASE("long steps and chosen counts always take every thread") {
  StepThreads governor(2, true);
  for (int i = 0; i < 50; ++i) {
    CHECK(governor.for_step(StepThreads::kMaxDecodeRows + 1) == 2);
    governor.record(2, StepThreads::kMaxDecodeRows + 1, 100.0);
  }
  CHECK(governor.for_step(1) == 2);  // long steps count for nothing

  StepThreads chosen(2, false);
  const auto counts = run_steps(chosen, 100, [](int threads) { return threads == 2 ? 2.0 : 1.0; });
  CHECK(count_of(counts, 2) == 100);
  StepThreads single(1, true);
  CHECK(count_of(run_steps(single, 20, [](int) { return 1.0; }), 1) == 20);
}

TEST_CASE("only attn's own default count adapts") {
  if (std::getenv("ATTN_THREADS")) return;  // the user's choice, by definition
  attn::set_num_threads(2);
  CHECK_FALSE(attn::default_thread_count());
  attn::set_num_threads(0);
  CHECK(attn::default_thread_count());
  CHECK(attn::num_threads() == attn::physical_cores());
}
