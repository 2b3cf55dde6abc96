// Text generation: prompt -> streamed continuation, with stop conditions.
#pragma once

#include "attn/export.h"

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"
#include "attn/sampler.h"

namespace attn ATTN_API {

// Called after each generated token with its id and the text it completed
// (whole UTF-8 characters, possibly empty; text of a stop string is never
// passed), and once more with kNoToken for text still held back when
// generation ends. Returning false stops generation (StopReason::Cancelled).
constexpr TokenId kNoToken = -1;
using TokenCallback = std::function<bool(TokenId token, std::string_view piece)>;

struct GenerateOptions {
  SamplerConfig sampling;
  // Upper bound on prompt + generated tokens, BOS not counted (llama2.c's
  // `-n steps`, Hugging Face's max_length). 0: the context length.
  int max_length = 256;
  // Upper bound on generated tokens alone (llama.cpp's n_predict). -1: none.
  int max_new_tokens = -1;
  std::vector<std::string> stop_strings;  // generation ends before any of them
  // Ids that end generation besides the model's EOS ids (a chat template's
  // end-of-turn token); they are not part of the result.
  std::vector<TokenId> stop_tokens;
  bool echo_prompt = true;                // stream the prompt text first
  // Beam search with Hugging Face's semantics (generate(num_beams=N), as
  // attn::translate; tasks/beam_search.h): beam_size hypotheses advance
  // together and the best is returned, streamed when the search ends, with
  // its score. 1 is greedy decoding through the same search; 0: off (the
  // sampler). It does not sample: sampling.temperature must be 0 and
  // repeat_penalty 1, and stop_strings must be empty (stop_tokens end
  // hypotheses like EOS). `cancel` is read before the search only.
  int beam_size = 0;
  float length_penalty = 1.f;            // a beam's score: sum of log-probabilities / length^length_penalty
  std::string early_stopping = "false";  // "true", "false" or "never", as Hugging Face's early_stopping
  int no_repeat_ngram_size = 0;          // beam search never repeats an n-gram of this size; 0: off
  TokenCallback on_token;
  // Generation stops (StopReason::Cancelled) soon after this becomes true,
  // e.g. from a SIGINT handler or another thread.
  const std::atomic<bool>* cancel = nullptr;
};

struct GenerateTimings {
  int prompt_tokens = 0;
  double prefill_seconds = 0;
  int decode_steps = 0;  // single-token forward passes after the prompt
  double decode_seconds = 0;
  double prefill_tokens_per_second() const;
  double decode_tokens_per_second() const;
};

enum class StopReason { Eos, StopString, MaxLength, ContextFull, Cancelled };

struct GenerateResult {
  std::string text;                  // the continuation (without the prompt), also when cancelled
  std::vector<TokenId> prompt_tokens;
  std::vector<TokenId> tokens;       // generated ids
  // Prompt tokens already in the session's cache, not prefilled again.
  int reused_prompt_tokens = 0;
  StopReason stop_reason = StopReason::MaxLength;
  // Beam search: the returned beam's score as Hugging Face's sequences_scores
  // (its length counts the prompt). 0 otherwise.
  double score = 0;
  GenerateTimings timings;
};

// Called with each piece of text as soon as it is complete UTF-8.
using TextCallback = std::function<void(std::string_view piece)>;

// Runs the prompt through `session` and samples until a stop condition.
// The session may hold a sequence already (an earlier turn of a chat): the
// longest common prefix of what it holds and the prompt's tokens stays in the
// cache, and only the rest of the prompt is prefilled (at least its last
// token, whose logits start the continuation). Afterwards the session holds
// the prompt and the generated tokens, ready for the next turn. Throws
// attn::Error for invalid UTF-8 or a prompt longer than the context.
GenerateResult generate(Session& session, std::string_view prompt, const GenerateOptions& options,
                        const TextCallback& on_text = {});
// The same for a prompt already tokenized (special tokens included).
GenerateResult generate(Session& session, std::span<const TokenId> prompt_tokens, const GenerateOptions& options,
                        const TextCallback& on_text = {});

// One generation driven a token at a time by a caller that runs the model
// itself, such as a server stepping many sequences in one
// Session::decode_step. generate() is this class driven by Session::forward,
// so both give the same tokens and text.
class Generation {
 public:
  // Checks that the prompt fits and that the model generates, truncates
  // `session` to the prefix it already holds (reusable_prefix) and streams
  // the echoed prompt. The caller then runs prompt_to_prefill() through the
  // session (in one forward call or several) and passes the logits of its
  // last token to next().
  Generation(Session& session, std::span<const TokenId> prompt_tokens, const GenerateOptions& options,
             TextCallback on_text = {});
  ~Generation();
  Generation(Generation&&) noexcept;

  std::span<const TokenId> prompt_to_prefill() const;
  // Samples the next token from `logits` (the row after the last token the
  // session took) and streams its text. Returns the token the session must
  // take next, or kNoToken when generation has ended: then result() is
  // final (stop_reason set, text held back streamed).
  TokenId next(std::span<const float> logits);
  bool finished() const;
  // Timings are the caller's to fill.
  GenerateResult& result();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The prompt as generate() tokenizes it: with the tokenizer's special tokens
// (BOS), and BOS alone for an empty prompt.
std::vector<TokenId> tokenize_prompt(const Tokenizer& tokenizer, std::string_view prompt);

// How many tokens generate() may produce after `prompt` in `session`
// (--max-length, max_new_tokens and the context; 0: none at all).
int generation_budget(const Session& session, std::span<const TokenId> prompt, const GenerateOptions& options);

// How many leading tokens of `prompt` the session already holds; generate()
// truncates the session to this and prefills the rest.
int reusable_prefix(const Session& session, std::span<const TokenId> prompt);

const char* to_string(StopReason reason);

}  // namespace attn
