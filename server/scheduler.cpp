#include "server/scheduler.h"

#include <chrono>
#include <optional>

#include "server/logprobs.h"

namespace attn::server {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

struct Scheduler::Slot {
  Slot(std::shared_ptr<const Model> model, const SchedulerOptions& options)
      : session(std::move(model), {.context_length = options.context_length, .cache_type_k = options.cache_type_k,
                                   .cache_type_v = options.cache_type_v}) {}

  bool active() const { return job != nullptr; }
  bool prefilling() const { return active() && prefilled < generation->prompt_to_prefill().size(); }
  bool decoding() const { return active() && next != kNoToken; }

  Session session;
  std::shared_ptr<Job> job;
  std::optional<Generation> generation;
  size_t prefilled = 0;
  TokenId next = kNoToken;        // the token the next decode step feeds
  std::span<const float> logits;  // the row generation->next() samples from, for logprobs
  uint64_t last_used = 0;  // when its last job finished
  uint64_t admitted = 0;   // when its job came in
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const SchedulerOptions& options)
    : model_(std::move(model)), options_(options) {
  for (int i = 0; i < options.slots; ++i) slots_.push_back(std::make_unique<Slot>(model_, options));
  stats_.slots = options.slots;
}

Scheduler::~Scheduler() { stop(); }

std::shared_ptr<Job> Scheduler::submit(CompletionRequest request) {
  auto job = std::make_shared<Job>(std::move(request));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw QueueFull("the server is shutting down");
    if (static_cast<int>(queue_.size()) >= options_.max_queue)
      throw QueueFull("all " + std::to_string(options_.slots) + " slots are busy and " +
                      std::to_string(queue_.size()) + " requests are waiting");
    queue_.push_back(job);
    stats_.queued = static_cast<int>(queue_.size());
  }
  wake_.notify_one();
  return job;
}

void Scheduler::start() { worker_ = std::thread([this] { run(); }); }

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Scheduler::run() {
  while (true) {
    admit();
    bool any_active = false;
    for (const auto& slot : slots_) any_active = any_active || slot->active();
    if (!any_active) {
      std::unique_lock lock(mutex_);
      if (queue_.empty() && stopping_) return;
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      continue;
    }
    try {
      prefill_chunk();
      decode_step();
    } catch (const std::exception& e) {  // a bug: end the jobs in flight rather than hang their clients
      for (const auto& slot : slots_) {
        if (!slot->active()) continue;
        JobSummary failed;
        failed.error = e.what();
        slot->job->finish(failed);
        slot->job.reset();
        slot->generation.reset();
        slot->next = kNoToken;
        slot->session.reset();
        std::lock_guard lock(mutex_);
        --stats_.busy_slots;
      }
    }
  }
}

// Moves waiting jobs into idle slots: each to the idle slot whose cache holds
// the longest prefix of its prompt, the least recently used among equals.
void Scheduler::admit() {
  while (true) {
    std::shared_ptr<Job> job;
    Slot* chosen = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      int best = -1;
      for (const auto& slot : slots_) {
        if (slot->active()) continue;
        const int reusable = reusable_prefix(slot->session, queue_.front()->request.prompt);
        if (reusable > best || (reusable == best && slot->last_used < chosen->last_used)) {
          best = reusable;
          chosen = slot.get();
        }
      }
      if (!chosen) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = static_cast<int>(queue_.size());
      ++stats_.busy_slots;
    }
    Slot& slot = *chosen;
    slot.job = job;
    slot.admitted = ++clock_;
    GenerateOptions options = job->request.options;
    options.cancel = &job->cancelled;
    options.on_token = [&slot, tokenizer = &model_->tokenizer()](TokenId id, std::string_view piece) {
      const CompletionRequest& request = slot.job->request;
      JobEvent event{std::string(piece), std::nullopt, {}};
      if (request.logprobs && id != kNoToken) {
        TokenLogprobs logprobs = token_logprobs(*tokenizer, slot.logits, id, request.top_logprobs);
        event.token = std::move(logprobs.chosen);
        event.top = std::move(logprobs.top);
      }
      if (!event.text.empty() || event.token) slot.job->push(std::move(event));
      return true;
    };
    try {
      slot.generation.emplace(slot.session, job->request.prompt, options);
      slot.prefilled = 0;
      slot.next = kNoToken;
    } catch (const std::exception& e) {
      slot.generation.reset();
      JobSummary failed;
      failed.error = e.what();
      slot.job->finish(failed);
      slot.job.reset();
      std::lock_guard lock(mutex_);
      --stats_.busy_slots;
    }
  }
}

// One chunk of the prompt of the slot that has waited longest for its prefill.
void Scheduler::prefill_chunk() {
  Slot* slot = nullptr;
  for (const auto& candidate : slots_) {
    if (candidate->prefilling() && (!slot || candidate->admitted < slot->admitted)) slot = candidate.get();
  }
  if (!slot) return;
  if (slot->job->cancelled.load()) {
    slot->generation->result().stop_reason = StopReason::Cancelled;
    finish(*slot);
    return;
  }
  const auto start = Clock::now();
  const auto prompt = slot->generation->prompt_to_prefill();
  const size_t n = std::min(prompt.size() - slot->prefilled, static_cast<size_t>(options_.prefill_chunk));
  slot->logits = slot->session.forward(prompt.subspan(slot->prefilled, n));
  slot->prefilled += n;
  {
    std::lock_guard lock(mutex_);
    stats_.prefill_seconds += seconds_since(start);
  }
  if (slot->prefilled < prompt.size()) return;
  slot->next = slot->generation->next(slot->logits);
  if (slot->next == kNoToken) finish(*slot);
}

// One token for every decoding slot, in one pass over the weights.
void Scheduler::decode_step() {
  std::vector<Slot*> batch;
  std::vector<Session*> sessions;
  std::vector<TokenId> tokens;
  for (const auto& slot : slots_) {
    if (!slot->decoding()) continue;
    batch.push_back(slot.get());
    sessions.push_back(&slot->session);
    tokens.push_back(slot->next);
  }
  if (batch.empty()) return;
  const auto start = Clock::now();
  const std::span<const float> logits = Session::decode_step(sessions, tokens);
  const size_t vocab = logits.size() / batch.size();
  for (size_t i = 0; i < batch.size(); ++i) {
    Slot& slot = *batch[i];
    slot.logits = logits.subspan(i * vocab, vocab);
    slot.next = slot.generation->next(slot.logits);
    if (slot.next == kNoToken) finish(slot);
  }
  std::lock_guard lock(mutex_);
  stats_.decode_seconds += seconds_since(start);
  ++stats_.decode_steps;
}

void Scheduler::finish(Slot& slot) {
  const GenerateResult& result = slot.generation->result();
  JobSummary summary;
  summary.stop_reason = result.stop_reason;
  summary.prompt_tokens = static_cast<int>(result.prompt_tokens.size());
  summary.cached_tokens = result.reused_prompt_tokens;
  summary.completion_tokens = static_cast<int>(result.tokens.size());
  {
    std::lock_guard lock(mutex_);
    --stats_.busy_slots;
    ++stats_.requests_finished;
    if (summary.stop_reason == StopReason::Cancelled) ++stats_.requests_cancelled;
    stats_.prompt_tokens += summary.prompt_tokens;
    stats_.cached_prompt_tokens += summary.cached_tokens;
    stats_.generated_tokens += summary.completion_tokens;
  }
  slot.job->finish(summary);
  slot.job.reset();
  slot.generation.reset();
  slot.next = kNoToken;
  slot.last_used = ++clock_;
}

}  // namespace attn::server
