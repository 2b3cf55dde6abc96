// Text generation: prompt -> streamed continuation, with stop conditions.
#pragma once

#include "attn/export.h"

#include <functional>
#include <stop_token>
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
  bool echo_prompt = true;                // stream the prompt text first
  TokenCallback on_token;
  // When a stop is requested (from any thread), generation ends before the
  // next token with StopReason::Cancelled, keeping the tokens so far.
  std::stop_token stop;
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
  StopReason stop_reason = StopReason::MaxLength;
  GenerateTimings timings;
};

// Called with each piece of text as soon as it is complete UTF-8.
using TextCallback = std::function<void(std::string_view piece)>;

// Runs the prompt through `session` (which must be empty) and samples until a
// stop condition. Throws attn::Error for invalid UTF-8 or a prompt longer
// than the context.
GenerateResult generate(Session& session, std::string_view prompt, const GenerateOptions& options,
                        const TextCallback& on_text = {});

const char* to_string(StopReason reason);

}  // namespace attn
