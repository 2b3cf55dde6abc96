// Continuous batching: a fixed set of slots (one Session each) and one worker
// thread. Requests join and leave at token boundaries; every slot that is
// decoding advances by one token in a single Session::decode_step, and a
// newcomer's prompt is prefilled in chunks between those steps so it does not
// stall the others. A finished slot keeps its cache: a new request goes to
// the idle slot holding the longest prefix of its prompt (same system
// prompt, same conversation so far) and prefills only the rest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "attn/attn.h"
#include "server/job.h"

namespace attn::server {

struct SchedulerOptions {
  int slots = 4;
  int context_length = 0;  // per slot; 0: the model's
  int max_queue = 32;      // waiting requests before submit() refuses
  int prefill_chunk = 64;  // prompt tokens per prefill pass
  CacheType cache_type_k = CacheType::F32;  // each slot's KV cache (SessionOptions)
  CacheType cache_type_v = CacheType::F32;
};

struct SchedulerStats {
  int slots = 0;
  int busy_slots = 0;
  int queued = 0;
  uint64_t requests_finished = 0;
  uint64_t requests_cancelled = 0;
  uint64_t prompt_tokens = 0;
  uint64_t cached_prompt_tokens = 0;  // of prompt_tokens, found in a slot's cache
  uint64_t generated_tokens = 0;
  uint64_t decode_steps = 0;
  double decode_seconds = 0;  // spent in decode steps
  double prefill_seconds = 0;
};

class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request; throws QueueFull when max_queue requests already wait.
  std::shared_ptr<Job> submit(CompletionRequest request);
  // Starts the worker thread (submit() queues until then).
  void start();
  // Finishes every job it holds (queued ones too), then stops the worker.
  void stop();
  SchedulerStats stats() const;

 private:
  struct Slot;
  void run();
  void admit();
  void prefill_chunk();
  void decode_step();
  void finish(Slot& slot);

  std::shared_ptr<const Model> model_;
  SchedulerOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  uint64_t clock_ = 0;  // orders slots by last use

  mutable std::mutex mutex_;  // guards queue_, stopping_, stats_
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  SchedulerStats stats_;
  std::thread worker_;
};

}  // namespace attn::server
