#include "attn/generate.h"

#include <algorithm>
#include <chrono>

#include "attn/error.h"
#include "tasks/generate_beam.h"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<TokenId> tokenize_prompt(const Tokenizer& tokenizer, std::string_view prompt) {
  std::vector<TokenId> ids = tokenizer.encode(prompt, true);
  if (ids.empty()) {
    if (tokenizer.bos_id() < 0) throw Error("the prompt is empty and the tokenizer has no BOS token to start from");
    ids.push_back(tokenizer.bos_id());
  }
  return ids;
}

// max_length counts tokens after a leading BOS, like llama2.c's steps and
// Hugging Face's max_length.
int generation_budget(const Session& session, std::span<const TokenId> prompt, const GenerateOptions& options) {
  const TokenId bos = session.model().tokenizer().bos_id();
  const int bos_count = (!prompt.empty() && prompt.front() == bos) ? 1 : 0;
  const int max_length = options.max_length > 0 ? options.max_length : session.context_length();
  int budget = std::max(0, max_length + bos_count - static_cast<int>(prompt.size()));
  if (options.max_new_tokens >= 0) budget = std::min(budget, options.max_new_tokens);
  return budget;
}

double GenerateTimings::prefill_tokens_per_second() const {
  return prefill_seconds > 0 ? prompt_tokens / prefill_seconds : 0;
}
double GenerateTimings::decode_tokens_per_second() const {
  return decode_seconds > 0 ? decode_steps / decode_seconds : 0;
}

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::Eos: return "eos";
    case StopReason::StopString: return "stop_string";
    case StopReason::MaxLength: return "max_length";
    case StopReason::ContextFull: return "context_full";
    case StopReason::Cancelled: return "cancelled";
  }
  return "?";
}

int reusable_prefix(const Session& session, std::span<const TokenId> prompt) {
  const auto held = session.tokens();
  const size_t limit = std::min(held.size(), prompt.size());
  size_t common = 0;
  while (common < limit && held[common] == prompt[common]) ++common;
  // The prompt's last token always runs: its logits start the continuation.
  if (common == prompt.size() && common > 0) --common;
  return static_cast<int>(common);
}

GenerateResult generate(Session& session, std::string_view prompt, const GenerateOptions& options,
                        const TextCallback& on_text) {
  const std::vector<TokenId> ids = tokenize_prompt(session.model().tokenizer(), prompt);
  return generate(session, ids, options, on_text);
}

GenerateResult generate(Session& session, std::span<const TokenId> prompt_tokens, const GenerateOptions& options,
                        const TextCallback& on_text) {
  if (options.beam_size < 0) throw Error("beam_size must be >= 1 (0: no beam search)");
  if (options.beam_size > 0) return generate_beams(session, prompt_tokens, options, on_text);
  Generation generation(session, prompt_tokens, options, on_text);
  GenerateTimings timings;
  auto start = Clock::now();
  std::span<const float> logits = session.forward(generation.prompt_to_prefill());
  timings.prefill_seconds = seconds_since(start);
  for (TokenId next = generation.next(logits); next != kNoToken; next = generation.next(logits)) {
    start = Clock::now();
    logits = session.forward(std::span<const TokenId>(&next, 1));
    timings.decode_seconds += seconds_since(start);
    ++timings.decode_steps;
  }
  GenerateResult result = std::move(generation.result());
  timings.prompt_tokens = result.timings.prompt_tokens;
  result.timings = timings;
  return result;
}

}  // namespace attn
