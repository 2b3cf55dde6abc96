// The serve scheduler without HTTP: a full queue refuses deterministically,
// jobs batched in slots (prefilled in small chunks) answer as generate()
// does, and a prompt that extends a finished one reuses that slot's cache.
#include <doctest/doctest.h>

#include "attn/attn.h"
#include "server/scheduler.h"
#include "test_support.h"

using namespace attn;
using namespace attn::server;

namespace {

std::shared_ptr<const Model> stories() {
  static const auto model = Model::load(attn::test::shared_dir() / "models" / "stories260K-hf");
  return model;
}

CompletionRequest greedy_request(const std::string& prompt, int new_tokens) {
  CompletionRequest request;
  request.prompt = tokenize_prompt(stories()->tokenizer(), prompt);
  request.options.sampling.temperature = 0;
  request.options.max_length = 0;
  request.options.max_new_tokens = new_tokens;
  request.options.echo_prompt = false;
  return request;
}

std::string expected_text(const CompletionRequest& request) {
  Session session(stories());
  return generate(session, request.prompt, request.options).text;
}

// Everything the job streamed, and its summary.
std::pair<std::string, JobSummary> collect(Job& job) {
  std::string text;
  while (true) {
    Job::Taken taken = job.wait(std::chrono::milliseconds(1000));
    for (const JobEvent& event : taken.events) text += event.text;
    if (taken.summary) return {text, *taken.summary};
  }
}

}  // namespace

TEST_CASE("scheduler: full queue, batched answers equal generate()'s, prefix reuse") {
  Scheduler scheduler(stories(), SchedulerOptions{.slots = 2, .context_length = 0, .max_queue = 2, .prefill_chunk = 8});
  const std::vector<CompletionRequest> requests = {
      greedy_request("Once upon a time, there was a little girl named Lily who loved the park", 40),
      greedy_request("Tom had a red ball", 25)};
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& request : requests) jobs.push_back(scheduler.submit(request));
  CHECK_THROWS_AS(scheduler.submit(greedy_request("One too many", 5)), QueueFull);  // not started: both still wait
  CHECK(scheduler.stats().queued == 2);

  scheduler.start();
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto [text, summary] = collect(*jobs[i]);
    CHECK(summary.error.empty());
    CHECK(text == expected_text(requests[i]));
    CHECK(summary.prompt_tokens == static_cast<int>(requests[i].prompt.size()));
  }

  // The first prompt again, extended: its slot still holds the prefix.
  const CompletionRequest longer =
      greedy_request("Once upon a time, there was a little girl named Lily who loved the park and the sea", 20);
  const auto [text, summary] = collect(*scheduler.submit(longer));
  CHECK(text == expected_text(longer));
  CHECK(summary.cached_tokens >= static_cast<int>(requests[0].prompt.size()) - 1);

  const SchedulerStats stats = scheduler.stats();
  CHECK(stats.busy_slots == 0);
  CHECK(stats.queued == 0);
  CHECK(stats.requests_finished == 3);
  CHECK(stats.decode_steps < stats.generated_tokens);  // the first two shared steps
}
