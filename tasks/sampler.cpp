// The sampler chain. Each stage is a small function over the candidate list
// (generic, so it need not name Sampler's private Candidate type); the list
// is a member that keeps its capacity, so sampling allocates nothing after
// the first call.
#include "attn/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "attn/error.h"

namespace attn {
namespace {

void check_config(const SamplerConfig& config) {
  const auto fail = [](const std::string& what) { throw Error("sampler: " + what); };
  if (!(std::isfinite(config.temperature) && config.temperature >= 0)) fail("temperature must be >= 0");
  if (config.top_k < 0) fail("top-k must be >= 0 (0 disables it)");
  if (!(config.top_p >= 0 && config.top_p <= 1)) fail("top-p must be in [0, 1] (1 disables it)");
  if (!(config.min_p >= 0 && config.min_p <= 1)) fail("min-p must be in [0, 1] (0 disables it)");
  if (!(std::isfinite(config.repeat_penalty) && config.repeat_penalty > 0)) fail("repeat penalty must be > 0");
  if (config.repeat_last_n < 0) fail("repeat-last-n must be >= 0");
}

// -inf is a legitimate logit (a masked token); NaN and +inf mean the model
// produced garbage, which must not turn into a plausible-looking token.
void check_logits(std::span<const float> logits) {
  if (logits.empty()) throw Error("sampler: empty logits");
  bool any_finite = false;
  for (const float logit : logits) {
    if (std::isnan(logit) || logit == INFINITY) throw Error("sampler: logits contain NaN or +inf");
    any_finite = any_finite || std::isfinite(logit);
  }
  if (!any_finite) throw Error("sampler: every logit is -inf");
}

// CTRL / llama.cpp rule, once per distinct token of the recent history:
// positive logits are divided by the penalty, negative ones multiplied.
// Candidates are still indexed by id here; a token is marked by negating its
// id (first pass) so duplicates in the window are penalised only once.
void apply_repeat_penalty(auto& candidates, std::span<const TokenId> recent, float penalty) {
  const auto vocab = static_cast<TokenId>(candidates.size());
  for (const TokenId id : recent) {
    if (id < 0 || id >= vocab) {
      throw Error("sampler: history token " + std::to_string(id) + " is outside the vocabulary (" +
                  std::to_string(vocab) + " logits)");
    }
    candidates[id].id = -1 - id;
  }
  for (const TokenId id : recent) {
    auto& candidate = candidates[id];
    if (candidate.id >= 0) continue;
    candidate.id = id;
    candidate.value = candidate.value > 0 ? candidate.value / penalty : candidate.value * penalty;
  }
}

// Lowest id wins ties: candidates are in id order and only a strictly larger
// value replaces the best so far.
void keep_argmax(auto& candidates) {
  size_t best = 0;
  for (size_t i = 1; i < candidates.size(); ++i) {
    if (candidates[i].value > candidates[best].value) best = i;
  }
  candidates[0] = {candidates[best].id, 1.0f};
  candidates.resize(1);
}

// Sorts by descending value (ties by id, so the order is deterministic)
// and keeps the k best; k = 0 or k >= size sorts everything.
void keep_top_k(auto& candidates, int k) {
  const auto by_value = [](const auto& a, const auto& b) {
    return a.value > b.value || (a.value == b.value && a.id < b.id);
  };
  const size_t keep = k > 0 ? std::min(candidates.size(), static_cast<size_t>(k)) : candidates.size();
  if (keep == candidates.size()) {
    std::sort(candidates.begin(), candidates.end(), by_value);
  } else {
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                      candidates.end(), by_value);
  }
  candidates.resize(keep);
}

// Logits (sorted, largest first) -> probabilities of softmax(logits / T).
// Dividing (logit - max) rather than the logit keeps a tiny temperature from
// overflowing. Tokens whose probability is zero (-inf logits, underflow) are
// dropped: they can never be drawn.
void softmax(auto& candidates, float temperature) {
  const double max = candidates.front().value;
  double sum = 0;
  for (auto& candidate : candidates) {
    const double weight = std::exp((candidate.value - max) / temperature);
    candidate.value = static_cast<float>(weight);
    sum += weight;
  }
  for (auto& candidate : candidates) candidate.value = static_cast<float>(candidate.value / sum);
  while (candidates.back().value == 0.0f) candidates.pop_back();
}

// Nucleus: the shortest prefix of the sorted distribution with mass >= p.
void keep_top_p(auto& candidates, float p) {
  double mass = 0;
  size_t keep = 0;
  while (keep < candidates.size() && (keep == 0 || mass < p)) mass += candidates[keep++].value;
  candidates.resize(keep);
}

// Drops tokens less likely than min_p times the most likely one.
void keep_min_p(auto& candidates, float min_p) {
  const float threshold = min_p * candidates.front().value;
  size_t keep = 1;
  while (keep < candidates.size() && candidates[keep].value >= threshold) ++keep;
  candidates.resize(keep);
}

void normalize(auto& candidates) {
  double sum = 0;
  for (const auto& candidate : candidates) sum += candidate.value;
  for (auto& candidate : candidates) candidate.value = static_cast<float>(candidate.value / sum);
}

// Inverse-CDF draw; the last candidate absorbs rounding in the running sum.
TokenId draw(const auto& candidates, double u) {
  double mass = 0;
  for (const auto& candidate : candidates) {
    mass += candidate.value;
    if (u < mass) return candidate.id;
  }
  return candidates.back().id;
}

}  // namespace

Sampler::Sampler(const SamplerConfig& config) : config_(config), rng_(config.seed) { check_config(config_); }

// Leaves candidates_ holding the final distribution, largest first.
void Sampler::build_candidates(std::span<const float> logits, std::span<const TokenId> history) {
  check_logits(logits);
  candidates_.clear();
  for (size_t id = 0; id < logits.size(); ++id) candidates_.push_back({static_cast<TokenId>(id), logits[id]});

  if (config_.repeat_penalty != 1.0f) {
    const size_t recent = std::min(history.size(), static_cast<size_t>(config_.repeat_last_n));
    apply_repeat_penalty(candidates_, history.last(recent), config_.repeat_penalty);
  }
  if (config_.temperature == 0.0f) {
    keep_argmax(candidates_);
    return;
  }

  keep_top_k(candidates_, config_.top_k);  // temperature does not change the order
  softmax(candidates_, config_.temperature);
  if (config_.top_p < 1.0f) keep_top_p(candidates_, config_.top_p);
  if (config_.min_p > 0.0f) keep_min_p(candidates_, config_.min_p);
  normalize(candidates_);
}

TokenId Sampler::sample(std::span<const float> logits, std::span<const TokenId> history) {
  build_candidates(logits, history);
  if (config_.temperature == 0.0f) return candidates_.front().id;  // greedy draws no random number
  return draw(candidates_, next_uniform());
}

std::vector<std::pair<TokenId, float>> Sampler::distribution(std::span<const float> logits,
                                                             std::span<const TokenId> history) {
  build_candidates(logits, history);
  std::vector<std::pair<TokenId, float>> result;
  result.reserve(candidates_.size());
  for (const auto& candidate : candidates_) result.emplace_back(candidate.id, candidate.value);
  return result;
}

// 53 random bits scaled to [0, 1): unlike std::uniform_real_distribution,
// the same on every standard library, so a seed gives the same text anywhere.
double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

}  // namespace attn
