#include "tasks/generate_beam.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "attn/error.h"
#include "tasks/beam_search.h"
#include "tasks/generation_checks.h"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What beam search cannot honour is an error, not ignored.
void check_beam_options(const Model& model, const GenerateOptions& options) {
  if (model.info().seq2seq) {
    throw Error(model.info().architecture + " is an encoder-decoder model; beam search over a source is attn translate's");
  }
  const std::string beams = "beam search (beam size " + std::to_string(options.beam_size) + ")";
  if (options.sampling.temperature > 0) {
    throw Error(beams + " picks the best-scoring tokens and does not sample: set the temperature to 0 (--temp 0)");
  }
  if (options.sampling.repeat_penalty != 1.f) throw Error(beams + " does not apply a repeat penalty; use no_repeat_ngram_size");
  if (!options.stop_strings.empty()) throw Error(beams + " does not stop at strings; stop tokens end hypotheses");
  if (options.early_stopping != "true" && options.early_stopping != "false" && options.early_stopping != "never") {
    throw Error("early_stopping must be true, false or never, got '" + options.early_stopping + "'");
  }
  if (options.no_repeat_ngram_size < 0) throw Error("no_repeat_ngram_size must be >= 0");
}

bool ends_with_eos(const std::vector<TokenId>& tokens, const std::vector<TokenId>& eos_ids) {
  return !tokens.empty() && std::find(eos_ids.begin(), eos_ids.end(), tokens.back()) != eos_ids.end();
}

}  // namespace

GenerateResult generate_beams(Session& session, std::span<const TokenId> prompt, const GenerateOptions& options,
                              const TextCallback& on_text) {
  const Model& model = session.model();
  check_generates(model);
  check_fits(prompt, session.context_length());
  check_beam_options(model, options);
  const int budget = generation_budget(session, prompt, options);
  if (budget < 1) throw Error("nothing to generate: max_length / max_new_tokens leave no room after the prompt");

  BeamSearchSettings settings;
  settings.num_beams = options.beam_size;
  settings.max_length = static_cast<int>(prompt.size()) + budget;
  settings.length_penalty = options.length_penalty;
  settings.early_stopping = options.early_stopping;
  settings.no_repeat_ngram_size = options.no_repeat_ngram_size;
  settings.eos_ids = model.info().eos_ids;
  settings.eos_ids.insert(settings.eos_ids.end(), options.stop_tokens.begin(), options.stop_tokens.end());

  GenerateResult result;
  result.prompt_tokens.assign(prompt.begin(), prompt.end());
  if (options.cancel && options.cancel->load()) {
    result.stop_reason = StopReason::Cancelled;
    return result;
  }
  // Every beam starts where the session holds the prompt but its last token
  // (beam_search feeds that one); what the session already holds is reused.
  auto start = Clock::now();
  session.truncate(std::min(reusable_prefix(session, prompt), static_cast<int>(prompt.size()) - 1));
  result.reused_prompt_tokens = session.position();
  const auto prefill = prompt.subspan(session.position(), prompt.size() - 1 - session.position());
  if (!prefill.empty()) session.forward(prefill);
  result.timings.prompt_tokens = static_cast<int>(prompt.size()) - result.reused_prompt_tokens;
  result.timings.prefill_seconds = seconds_since(start);

  start = Clock::now();
  std::vector<std::unique_ptr<Session>> others;
  std::vector<std::vector<Session*>> beams(1, {&session});
  for (int b = 1; b < options.beam_size; ++b) {
    others.push_back(std::make_unique<Session>(session.sibling()));
    others.back()->copy_from(session);
    beams[0].push_back(others.back().get());
  }
  const std::vector<TokenId> prompt_ids(prompt.begin(), prompt.end());
  BeamResult best = std::move(beam_search(beams, std::span(&prompt_ids, 1), settings)[0]);
  result.timings.decode_seconds = seconds_since(start);
  result.timings.decode_steps = static_cast<int>(best.tokens.size());

  // A finished beam ends in an EOS, which (as in sampling) is not part of the result.
  result.stop_reason = ends_with_eos(best.tokens, settings.eos_ids) ? StopReason::Eos : StopReason::MaxLength;
  if (result.stop_reason == StopReason::Eos) best.tokens.pop_back();
  result.tokens = best.tokens;
  result.score = best.score;

  // The session ends holding the prompt and the beam's tokens but the last, as after sampling.
  std::vector<TokenId> sequence = prompt_ids;
  sequence.insert(sequence.end(), result.tokens.begin(), result.tokens.end());
  session.truncate(reusable_prefix(session, sequence));
  if (session.position() + 1 < static_cast<int>(sequence.size())) {
    session.forward(std::span(sequence).subspan(session.position(), sequence.size() - 1 - session.position()));
  }

  TokenStreamer streamer(model.tokenizer());
  const auto emit = [&](std::string_view text) {
    if (!text.empty() && on_text) on_text(text);
  };
  if (options.echo_prompt) {
    for (const TokenId id : prompt) emit(streamer.push(id));
  } else {
    streamer.prime(prompt);
  }
  for (const TokenId id : result.tokens) {
    const std::string piece = streamer.push(id);
    result.text += piece;
    emit(piece);
    if (options.on_token) options.on_token(id, piece);
  }
  const std::string tail = streamer.flush();
  result.text += tail;
  emit(tail);
  if (!tail.empty() && options.on_token) options.on_token(kNoToken, tail);
  return result;
}

}  // namespace attn
