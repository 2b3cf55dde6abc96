// Beam search with Hugging Face's semantics (generate(num_beams=N) as
// transformers runs it since 4.50, with the logits processors it builds from
// the options below), for several sequences at once: every live beam of
// every sequence decodes in one Session::decode_step. A hypothesis' score is
// its summed log-probabilities over (tokens after the prompt, its eos
// included)^length_penalty.
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
  // The prompt's last tokens that count as generated in a hypothesis' length
  // (M2M-100's target-language token: Hugging Face forces it as the first
  // generated token, attn feeds it with the decoder start token).
  int generated_prompt_tokens = 0;
};

struct BeamResult {
  std::vector<TokenId> tokens;  // generated ids, the eos that ended them included when there is one
  double score = 0;             // as sequences_scores
};

// beams[s] holds num_beams sessions of one model for sequence s, each at the
// same state: prompts[s] minus its last token already fed (an
// encoder-decoder's fresh session after Session::encode, with the decoder
// start token as the prompt). The sessions are advanced and reordered.
std::vector<BeamResult> beam_search(std::span<std::vector<Session*>> beams,
                                    std::span<const std::vector<TokenId>> prompts, const BeamSearchSettings& settings);

}  // namespace attn
