#include "beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attn/error.h"

namespace attn {
namespace {

constexpr double kNegativeInfinity = -std::numeric_limits<double>::infinity();

// The finished hypotheses of one sequence: the num_beams best by score.
class FinishedHypotheses {
 public:
  explicit FinishedHypotheses(int num_beams) : num_beams_(num_beams) {}

  void add(std::vector<TokenId> tokens, double score) {
    if (full() && score <= worst()) return;
    const auto at = std::find_if(beams_.begin(), beams_.end(), [&](const auto& b) { return b.first < score; });
    beams_.insert(at, {score, std::move(tokens)});
    if (static_cast<int>(beams_.size()) > num_beams_) beams_.pop_back();
  }

  bool full() const { return static_cast<int>(beams_.size()) == num_beams_; }
  double worst() const { return beams_.back().first; }
  bool empty() const { return beams_.empty(); }
  const std::pair<double, std::vector<TokenId>>& best() const { return beams_.front(); }

 private:
  int num_beams_;
  std::vector<std::pair<double, std::vector<TokenId>>> beams_;  // best first
};

// Whether no running beam can beat the finished hypotheses any more, as
// transformers' early-stop heuristic judges it from the best running beam.
bool is_done(const FinishedHypotheses& finished, double best_running, int generated, int prompt_length,
             const BeamSearchSettings& settings) {
  if (!finished.full()) return false;
  if (settings.early_stopping == "true") return true;
  const bool longest = settings.early_stopping == "never" && settings.length_penalty > 0;
  const int length = longest ? settings.max_length - prompt_length : generated;
  return best_running / std::pow(length, settings.length_penalty) <= finished.worst();
}

struct Sequence {
  std::vector<std::vector<TokenId>> hypotheses;  // live, by beam
  std::vector<double> scores;                    // their sum of log-probabilities
  FinishedHypotheses finished;
  bool done = false;
};

// log_softmax of one beam's logits, then the processors: no-repeat n-grams,
// suppressed tokens, the forced EOS at the last step.
void beam_logprobs(std::span<const float> logits, const std::vector<TokenId>& hypothesis,
                   const BeamSearchSettings& settings, std::vector<double>& out) {
  const size_t vocab = logits.size();
  out.resize(vocab);
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  const double log_sum = std::log(sum) + max;
  for (size_t i = 0; i < vocab; ++i) out[i] = logits[i] - log_sum;

  const int n = settings.no_repeat_ngram_size;
  const int length = static_cast<int>(hypothesis.size());
  if (n > 0 && length + 1 >= n) {  // ban what completes an n-gram already in the hypothesis
    for (int i = 0; i + n <= length; ++i) {
      if (std::equal(hypothesis.begin() + i, hypothesis.begin() + i + n - 1, hypothesis.end() - (n - 1))) {
        out[hypothesis[i + n - 1]] = kNegativeInfinity;
      }
    }
  }
  for (const TokenId id : settings.suppressed_ids) {
    if (id >= 0 && static_cast<size_t>(id) < vocab) out[id] = kNegativeInfinity;
  }
  if (settings.forced_eos_id >= 0 && length == settings.max_length - 1) {
    std::fill(out.begin(), out.end(), kNegativeInfinity);
    out[settings.forced_eos_id] = 0;
  }
}

bool is_eos(const BeamSearchSettings& settings, TokenId id) {
  return std::find(settings.eos_ids.begin(), settings.eos_ids.end(), id) != settings.eos_ids.end();
}

// New beams take over their parents' sessions: the first child of a parent
// keeps its session, further children take the session of a parent nobody
// continues, copied from their own parent first.
void reorder_sessions(std::vector<Session*>& sessions, const std::vector<int>& parents) {
  const size_t beams = sessions.size();
  std::vector<Session*> next(beams, nullptr);
  std::vector<bool> claimed(beams, false);
  for (size_t j = 0; j < beams; ++j) {
    if (!claimed[parents[j]]) {
      claimed[parents[j]] = true;
      next[j] = sessions[parents[j]];
    }
  }
  std::vector<Session*> spare;
  for (size_t i = 0; i < beams; ++i) {
    if (!claimed[i]) spare.push_back(sessions[i]);
  }
  for (size_t j = 0; j < beams; ++j) {
    if (next[j]) continue;
    next[j] = spare.back();
    spare.pop_back();
    next[j]->copy_from(*sessions[parents[j]]);
  }
  sessions = std::move(next);
}

}  // namespace

std::vector<BeamResult> beam_search(std::span<std::vector<Session*>> beams,
                                    std::span<const std::vector<TokenId>> prompts, const BeamSearchSettings& settings) {
  const int k = settings.num_beams;
  if (k < 1) throw Error("beam search needs at least one beam");
  if (beams.size() != prompts.size()) throw Error("beam_search: one set of beams per prompt");
  std::vector<Sequence> sequences;
  int length = 0;  // current hypothesis length, the same for every sequence
  for (size_t s = 0; s < prompts.size(); ++s) {
    if (static_cast<int>(beams[s].size()) != k) throw Error("beam_search: each sequence needs num_beams sessions");
    if (prompts[s].empty()) throw Error("beam_search: empty prompt");
    if (s > 0 && static_cast<int>(prompts[s].size()) != length) throw Error("beam_search: prompts differ in length");
    length = static_cast<int>(prompts[s].size());
    Sequence sequence{std::vector<std::vector<TokenId>>(k, prompts[s]), std::vector<double>(k, -1e9),
                      FinishedHypotheses(k)};
    sequence.scores[0] = 0;  // only the first beam expands at the first step
    sequences.push_back(std::move(sequence));
  }

  const int prompt_length = length - settings.generated_prompt_tokens;  // Hugging Face's decoder_prompt_len
  const int beams_to_keep = std::max<int>(2, 1 + static_cast<int>(settings.eos_ids.size())) * k;
  std::vector<Session*> step_sessions;
  std::vector<TokenId> step_tokens;
  std::vector<double> logprobs;
  std::vector<std::pair<double, int64_t>> candidates;  // (score, beam * vocab + token)
  while (length < settings.max_length) {
    step_sessions.clear();
    step_tokens.clear();
    for (size_t s = 0; s < sequences.size(); ++s) {
      if (sequences[s].done) continue;
      for (int b = 0; b < k; ++b) {
        step_sessions.push_back(beams[s][b]);
        step_tokens.push_back(sequences[s].hypotheses[b].back());
      }
    }
    if (step_sessions.empty()) break;
    const std::span<const float> logits = Session::decode_step(step_sessions, step_tokens);
    const size_t vocab = logits.size() / step_sessions.size();

    size_t row = 0;
    for (size_t s = 0; s < sequences.size(); ++s) {
      Sequence& sequence = sequences[s];
      if (sequence.done) continue;
      candidates.clear();
      for (int b = 0; b < k; ++b, ++row) {
        beam_logprobs(logits.subspan(row * vocab, vocab), sequence.hypotheses[b], settings, logprobs);
        for (size_t t = 0; t < vocab; ++t) {
          candidates.push_back({logprobs[t] + sequence.scores[b], static_cast<int64_t>(b * vocab + t)});
        }
      }
      // torch.topk(max(2, 1 + eos count) * num_beams): enough that num_beams
      // continuations remain after the ending ones. Sorted by score, equal scores by index.
      const size_t keep = std::min(candidates.size(), static_cast<size_t>(beams_to_keep));
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
      const bool last_step = length + 1 >= settings.max_length;
      const int generated = length + 1 - prompt_length;  // tokens after the prompt, this one included
      const auto beam_of = [&](size_t rank) { return static_cast<int>(candidates[rank].second / static_cast<int64_t>(vocab)); };
      const auto token_of = [&](size_t rank) { return static_cast<TokenId>(candidates[rank].second % static_cast<int64_t>(vocab)); };
      const auto extended = [&](size_t rank) {
        std::vector<TokenId> tokens = sequence.hypotheses[beam_of(rank)];
        tokens.push_back(token_of(rank));
        return tokens;
      };
      // Continuations among the top num_beams that end become finished hypotheses.
      for (size_t rank = 0; rank < std::min(keep, static_cast<size_t>(k)); ++rank) {
        if ((last_step || is_eos(settings, token_of(rank))) && candidates[rank].first > kNegativeInfinity) {
          sequence.finished.add(extended(rank), candidates[rank].first / std::pow(generated, settings.length_penalty));
        }
      }
      if (last_step) {
        sequence.done = true;
        continue;
      }
      // The best continuations that do not end are the next beams.
      std::vector<std::vector<TokenId>> next;
      std::vector<double> next_scores;
      std::vector<int> parents;
      for (size_t rank = 0; rank < keep && static_cast<int>(next.size()) < k; ++rank) {
        if (is_eos(settings, token_of(rank))) continue;
        next.push_back(extended(rank));
        next_scores.push_back(candidates[rank].first);
        parents.push_back(beam_of(rank));
      }
      if (static_cast<int>(next.size()) < k) throw Error("beam search: too few candidates (the vocabulary is smaller than 2 beams)");
      sequence.done = is_done(sequence.finished, next_scores.front(), generated, prompt_length, settings);
      if (!sequence.done) reorder_sessions(beams[s], parents);
      sequence.hypotheses = std::move(next);
      sequence.scores = std::move(next_scores);
    }
    ++length;
  }

  std::vector<BeamResult> results;
  for (size_t s = 0; s < sequences.size(); ++s) {
    Sequence& sequence = sequences[s];
    if (sequence.finished.empty()) throw Error("beam search: no hypothesis has a finite score");
    const auto& [score, best] = sequence.finished.best();
    BeamResult result;
    result.tokens.assign(best.begin() + static_cast<std::ptrdiff_t>(prompts[s].size()), best.end());
    result.score = score;
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace attn
