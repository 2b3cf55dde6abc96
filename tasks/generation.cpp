// attn::Generation: sampling, stop conditions and text streaming of one
// generation, a token at a time; who runs the model is the caller's choice
// (generate() with Session::forward, a server with Session::decode_step).
#include <algorithm>

#include "attn/error.h"
#include "attn/generate.h"
#include "tasks/generation_checks.h"
#include "tasks/stop_strings.h"

namespace attn {

void check_fits(std::span<const TokenId> ids, int context_length) {
  if (ids.empty()) throw Error("generate: the prompt has no tokens");
  // At least one position must remain for the first generated token's successor.
  if (static_cast<int>(ids.size()) >= context_length) {
    throw Error("the prompt is " + std::to_string(ids.size()) + " tokens but the context holds " +
                std::to_string(context_length) + " (and generation needs at least one more); shorten the prompt");
  }
}

void check_generates(const Model& model) {
  if (model.info().encoder) {  // its outputs are hidden states, not next-token logits
    throw Error(model.info().path.string() + ": " + model.info().architecture +
                " is an encoder and cannot generate text; use `attn embed` / attn::embed");
  }
}

struct Generation::State {
  State(Session& session, std::span<const TokenId> prompt, const GenerateOptions& options, TextCallback on_text)
      : session(session),
        options(options),
        on_text(std::move(on_text)),
        streamer(session.model().tokenizer()),
        sampler(options.sampling),
        stops(options.stop_strings) {}

  void emit(std::string_view text, bool is_continuation) {
    if (text.empty()) return;
    if (is_continuation) result.text += text;
    if (on_text) on_text(text);
  }
  // False when the caller wants generation to stop.
  bool report_token(TokenId id, std::string_view piece) const {
    return !options.on_token || options.on_token(id, piece);
  }
  bool ends_turn(TokenId id) const {
    const auto& eos = session.model().info().eos_ids;
    const auto& extra = options.stop_tokens;
    return std::find(eos.begin(), eos.end(), id) != eos.end() || std::find(extra.begin(), extra.end(), id) != extra.end();
  }
  TokenId finish(StopReason reason) {
    result.stop_reason = reason;
    finished = true;
    if (reason != StopReason::StopString) {  // a stop string already dropped what was held back
      const auto tail = stops.push(streamer.flush());
      std::string held_back = tail.text;
      if (!tail.stopped) held_back += stops.flush();
      emit(held_back, true);
      if (!held_back.empty()) report_token(kNoToken, held_back);
    }
    return kNoToken;
  }

  Session& session;
  GenerateOptions options;
  TextCallback on_text;
  TokenStreamer streamer;
  Sampler sampler;
  StopStringFilter stops;
  GenerateResult result;
  std::vector<TokenId> history;  // prompt + generated, for the repetition penalty
  int budget = 0;
  bool finished = false;
};

Generation::Generation(Session& session, std::span<const TokenId> prompt_tokens, const GenerateOptions& options,
                       TextCallback on_text) {
  check_generates(session.model());
  check_fits(prompt_tokens, session.context_length());
  state_ = std::make_unique<State>(session, prompt_tokens, options, std::move(on_text));
  State& s = *state_;
  s.result.prompt_tokens.assign(prompt_tokens.begin(), prompt_tokens.end());
  s.history = s.result.prompt_tokens;
  s.budget = generation_budget(session, s.result.prompt_tokens, options);
  // The prompt goes through the same streamer as the continuation, so the
  // echoed text has exactly the spacing of a full decode.
  if (options.echo_prompt) {
    for (TokenId id : s.result.prompt_tokens) s.emit(s.streamer.push(id), false);
  } else {
    s.streamer.prime(s.result.prompt_tokens);
  }
  // A sliding-window cache may not go back to any position: truncate says
  // where it went, and the prompt is prefilled from there.
  session.truncate(reusable_prefix(session, s.result.prompt_tokens));
  const int reused = session.position();
  s.result.reused_prompt_tokens = reused;
  s.result.timings.prompt_tokens = static_cast<int>(s.result.prompt_tokens.size()) - reused;
}

Generation::~Generation() = default;
Generation::Generation(Generation&&) noexcept = default;

std::span<const TokenId> Generation::prompt_to_prefill() const {
  return std::span<const TokenId>(state_->result.prompt_tokens).subspan(state_->result.reused_prompt_tokens);
}

TokenId Generation::next(std::span<const float> logits) {
  State& s = *state_;
  if (s.finished) return kNoToken;
  if (static_cast<int>(s.result.tokens.size()) >= s.budget) return s.finish(StopReason::MaxLength);
  if (s.options.cancel && s.options.cancel->load()) return s.finish(StopReason::Cancelled);
  const TokenId next = s.sampler.sample(logits, s.history);
  if (s.ends_turn(next)) return s.finish(StopReason::Eos);
  s.result.tokens.push_back(next);
  s.history.push_back(next);
  const auto filtered = s.stops.push(s.streamer.push(next));
  s.emit(filtered.text, true);
  if (filtered.stopped) {
    s.report_token(next, filtered.text);
    return s.finish(StopReason::StopString);
  }
  if (!s.report_token(next, filtered.text)) return s.finish(StopReason::Cancelled);
  if (static_cast<int>(s.result.tokens.size()) == s.budget) return s.finish(StopReason::MaxLength);
  if (s.session.position() >= s.session.context_length()) return s.finish(StopReason::ContextFull);
  return next;
}

bool Generation::finished() const { return state_->finished; }

GenerateResult& Generation::result() { return state_->result; }

}  // namespace attn
