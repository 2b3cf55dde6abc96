// Turns a row of logits into the next token: a chain of small stages
// (repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw).
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "attn/tokenizer.h"

namespace attn ATTN_API {

struct SamplerConfig {
  float temperature = 0.8f;      // 0 means greedy (argmax, lowest id wins ties)
  int top_k = 40;                // 0 disables
  float top_p = 0.95f;           // 1 disables
  float min_p = 0.0f;            // 0 disables
  float repeat_penalty = 1.0f;   // 1 disables; applied to the last repeat_last_n tokens
  int repeat_last_n = 64;
  uint64_t seed = 1;
};

class Sampler {
 public:
  explicit Sampler(const SamplerConfig& config);

  // `history` is the sequence so far (prompt + generated), for the penalty.
  TokenId sample(std::span<const float> logits, std::span<const TokenId> history);

  // The probability distribution the draw would use, after every stage, as
  // (id, probability) pairs sorted by descending probability. For tests and
  // for tools that show alternatives.
  std::vector<std::pair<TokenId, float>> distribution(std::span<const float> logits,
                                                      std::span<const TokenId> history);

  const SamplerConfig& config() const { return config_; }

 private:
  struct Candidate {
    TokenId id;
    float value;  // logit, then probability after softmax
  };
  void build_candidates(std::span<const float> logits, std::span<const TokenId> history);
  double next_uniform();  // [0, 1), platform-independent

  SamplerConfig config_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;  // reused between calls
};

}  // namespace attn
