#include "server/logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attn::server {

TokenLogprobs token_logprobs(const Tokenizer& tokenizer, std::span<const float> logits, TokenId chosen, int top) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float x : logits) sum += std::exp(static_cast<double>(x) - max);
  const float log_sum = static_cast<float>(max + std::log(sum));
  auto entry = [&](TokenId id) {
    const TokenId one[] = {id};
    return TokenLogprob{tokenizer.decode(one), logits[id] - log_sum};
  };
  TokenLogprobs result{entry(chosen), {}};
  if (top > 0) {
    std::vector<TokenId> ids(logits.size());
    std::iota(ids.begin(), ids.end(), 0);
    const size_t n = std::min(ids.size(), static_cast<size_t>(top));
    std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](TokenId a, TokenId b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (size_t i = 0; i < n; ++i) result.top.push_back(entry(ids[i]));
  }
  return result;
}

}  // namespace attn::server
