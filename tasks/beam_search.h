// Beam search with Hugging Face's semantics (BeamSearchScorer and
// BeamHypotheses as in transformers 4.30-4.38, with the logits processors
// generate() builds from the options below), for several sequences at once:
// every live beam of every sequence decodes in one Session::decode_step.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "attn/model.h"

namespace attn {

struct BeamSearchSettings {
  int num_beams = 1;
  int max_length = 0;  // whole sequence, prompt included (Hugging Face's max_length)
  float length_penalty = 1.f;
  std::string early_stopping = "false";  // "true", "false", "never"
  int no_repeat_ngram_size = 0;
  std::vector<TokenId> eos_ids;
  std::vector<TokenId> suppressed_ids;  // never generated (single-token bad_words_ids)
  TokenId forced_eos_id = -1;           // the only choice at max_length - 1; -1: none
};

struct BeamResult {
  std::vector<TokenId> tokens;  // generated ids, the closing EOS included when there is one
  double score = 0;             // sum of log-probabilities / length^length_penalty, as sequences_scores
};

// beams[s] holds num_beams sessions of one model for sequence s, each at the
// same state: prompts[s] minus its last token already fed (an
// encoder-decoder's fresh session after Session::encode, with the decoder
// start token as the prompt). The sessions are advanced and reordered.
std::vector<BeamResult> beam_search(std::span<std::vector<Session*>> beams,
                                    std::span<const std::vector<TokenId>> prompts, const BeamSearchSettings& settings);

}  // namespace attn
