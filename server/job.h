// One completion request on its way through the scheduler: the HTTP thread
// that submitted it waits for its events (text pieces, with log-probabilities
// when asked for) and its end; the scheduler's thread produces them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "attn/attn.h"
#include "server/request.h"

namespace attn::server {

struct TokenLogprob {
  std::string token;  // the token's text (its bytes; may be part of a UTF-8 character)
  float logprob = 0;  // natural log of the model's probability (before sampling stages)
};

struct JobEvent {
  std::string text;  // whole UTF-8 characters, possibly empty
  // Per generated token when the request asked for logprobs (the event of
  // text held back until the end has none).
  std::optional<TokenLogprob> token;
  std::vector<TokenLogprob> top;  // the most likely alternatives, best first
};

struct JobSummary {
  StopReason stop_reason = StopReason::MaxLength;
  int prompt_tokens = 0;
  int cached_tokens = 0;  // prompt tokens the slot's cache already held
  int completion_tokens = 0;
  std::string error;      // non-empty: the job failed (an internal error)
};

class Job {
 public:
  explicit Job(CompletionRequest request) : request(std::move(request)) {}

  const CompletionRequest request;
  // Set by the HTTP side when the client has gone; the scheduler drops the
  // job at the next token boundary and frees its slot.
  std::atomic<bool> cancelled{false};

  // Scheduler side.
  void push(JobEvent event);
  void finish(JobSummary summary);

  // HTTP side: waits up to `timeout` for events; returns those that came
  // (maybe none) and, once the job has ended and every event was taken, the summary.
  struct Taken {
    std::vector<JobEvent> events;
    std::optional<JobSummary> summary;
  };
  Taken wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<JobEvent> events_;
  std::optional<JobSummary> summary_;
};

}  // namespace attn::server
