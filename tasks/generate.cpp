#include "attn/generate.h"

#include <algorithm>
#include <chrono>

#include "attn/error.h"
#include "tasks/stop_strings.h"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_fits(std::span<const TokenId> ids, int context_length) {
  if (ids.empty()) throw Error("generate: the prompt has no tokens");
  // At least one position must remain for the first generated token's successor.
  if (static_cast<int>(ids.size()) >= context_length) {
    throw Error("the prompt is " + std::to_string(ids.size()) + " tokens but the context holds " +
                std::to_string(context_length) + " (and generation needs at least one more); shorten the prompt");
  }
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
  const Model& model = session.model();
  if (model.info().encoder) {  // its outputs are hidden states, not next-token logits
    throw Error(model.info().path.string() + ": " + model.info().architecture +
                " is an encoder and cannot generate text; use `attn embed` / attn::embed");
  }
  const Tokenizer& tokenizer = model.tokenizer();
  const auto& eos = model.info().eos_ids;

  GenerateResult result;
  check_fits(prompt_tokens, session.context_length());
  result.prompt_tokens.assign(prompt_tokens.begin(), prompt_tokens.end());
  const int budget = generation_budget(session, result.prompt_tokens, options);
  auto emit = [&](std::string_view text, bool is_continuation) {
    if (text.empty()) return;
    if (is_continuation) result.text += text;
    if (on_text) on_text(text);
  };
  // False when the caller wants generation to stop.
  auto report_token = [&](TokenId id, std::string_view piece) {
    return !options.on_token || options.on_token(id, piece);
  };

  // The prompt goes through the same streamer as the continuation, so the
  // echoed text has exactly the spacing of a full decode.
  TokenStreamer streamer(tokenizer);
  if (options.echo_prompt) {
    for (TokenId id : result.prompt_tokens) emit(streamer.push(id), false);
  } else {
    streamer.prime(result.prompt_tokens);
  }

  const int reused = reusable_prefix(session, result.prompt_tokens);
  session.truncate(reused);
  result.reused_prompt_tokens = reused;
  auto start = Clock::now();
  std::span<const float> logits =
      session.forward(std::span<const TokenId>(result.prompt_tokens).subspan(static_cast<size_t>(reused)));
  result.timings.prompt_tokens = static_cast<int>(result.prompt_tokens.size()) - reused;
  result.timings.prefill_seconds = seconds_since(start);

  Sampler sampler(options.sampling);
  StopStringFilter stops(options.stop_strings);
  std::vector<TokenId> history = result.prompt_tokens;
  result.stop_reason = StopReason::MaxLength;
  bool stopped_by_string = false;
  const auto& extra_stops = options.stop_tokens;
  while (static_cast<int>(result.tokens.size()) < budget) {
    if (options.cancel && options.cancel->load()) {
      result.stop_reason = StopReason::Cancelled;
      break;
    }
    const TokenId next = sampler.sample(logits, history);
    if (std::find(eos.begin(), eos.end(), next) != eos.end() ||
        std::find(extra_stops.begin(), extra_stops.end(), next) != extra_stops.end()) {
      result.stop_reason = StopReason::Eos;
      break;
    }
    result.tokens.push_back(next);
    history.push_back(next);
    const auto filtered = stops.push(streamer.push(next));
    emit(filtered.text, true);
    if (filtered.stopped) {
      result.stop_reason = StopReason::StopString;
      stopped_by_string = true;
      report_token(next, filtered.text);
      break;
    }
    if (!report_token(next, filtered.text)) {
      result.stop_reason = StopReason::Cancelled;
      break;
    }
    if (static_cast<int>(result.tokens.size()) == budget) break;
    if (session.position() >= session.context_length()) {
      result.stop_reason = StopReason::ContextFull;
      break;
    }
    start = Clock::now();
    logits = session.forward(std::span<const TokenId>(&next, 1));
    result.timings.decode_seconds += seconds_since(start);
    ++result.timings.decode_steps;
  }
  if (!stopped_by_string) {
    const auto tail = stops.push(streamer.flush());
    std::string held_back = tail.text;
    if (!tail.stopped) held_back += stops.flush();
    emit(held_back, true);
    if (!held_back.empty()) report_token(kNoToken, held_back);
  }
  return result;
}

}  // namespace attn
