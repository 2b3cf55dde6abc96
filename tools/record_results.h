// What `attn score` writes for a batch of input records, one JSON object per
// record in order: the record's pass-through fields, then its scores or an
// "error". Decoders give log-likelihoods, sequence classifiers label scores.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "score_input.h"

namespace attn::cli {

using Results = std::vector<nlohmann::ordered_json>;

// logprob, tokens, nll, ppl (+ truncated_tokens, token_logprobs); adds the
// scored tokens to `tokens_scored`.
Results likelihood_results(Session& session, std::vector<InputRecord>& batch, const ScoreOptions& options,
                           int64_t& tokens_scored);

// label (the most probable, single-label models) and scores by label name
// (+ truncated). Records may carry a sentence pair.
Results classification_results(Session& session, std::vector<InputRecord>& batch, const ClassifyOptions& options);

}  // namespace attn::cli
