// Log-probabilities as OpenAI reports them: the model's own distribution
// (log-softmax of the logits), not the one left after sampling stages.
#pragma once

#include <span>
#include <vector>

#include "attn/attn.h"
#include "server/job.h"

namespace attn::server {

struct TokenLogprobs {
  TokenLogprob chosen;
  std::vector<TokenLogprob> top;  // `top` most likely tokens, best first
};

TokenLogprobs token_logprobs(const Tokenizer& tokenizer, std::span<const float> logits, TokenId chosen, int top);

}  // namespace attn::server
