// Whole-model helpers of the suites that run models: a model with its
// weights converted at load, its logits by prefill or by decode, greedy
// continuations, and perplexity from logits.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "attn/attn.h"

namespace attn::test {

inline std::shared_ptr<const Model> load_as(const std::filesystem::path& path, std::optional<DType> dtype) {
  LoadOptions options;
  options.dtype = dtype;
  return Model::load(path, options);
}

// Logits of every position in one prefill pass.
inline std::vector<float> all_logits(const std::shared_ptr<const Model>& model, const std::vector<TokenId>& ids) {
  Session session(model);
  const auto all = session.forward(ids, true);
  return {all.begin(), all.end()};
}

// The same, one token at a time through the KV cache (the decode GEMV path).
inline std::vector<float> incremental_logits(const std::shared_ptr<const Model>& model,
                                             const std::vector<TokenId>& ids) {
  Session session(model);
  std::vector<float> rows;
  for (TokenId id : ids) {
    const auto row = session.forward(std::span<const TokenId>(&id, 1));
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

inline std::vector<float> logits_of(const std::shared_ptr<const Model>& model, const std::vector<TokenId>& ids,
                                    bool decode) {
  return decode ? incremental_logits(model, ids) : all_logits(model, ids);
}

// The columns `ids` of every row of [rows, vocab] logits.
inline std::vector<float> columns(std::span<const float> logits, int64_t vocab, const std::vector<int>& ids) {
  std::vector<float> out;
  for (size_t row = 0; row < logits.size() / static_cast<size_t>(vocab); ++row) {
    for (int id : ids) out.push_back(logits[row * vocab + id]);
  }
  return out;
}

// `count` greedy tokens after the prompt, in `session` (which keeps them).
inline std::vector<TokenId> greedy(Session& session, const std::vector<TokenId>& prompt, int count) {
  std::span<const float> logits = session.forward(prompt);
  std::vector<TokenId> out;
  for (int i = 0; i < count; ++i) {
    const TokenId next = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(next);
    logits = session.forward(std::span<const TokenId>(&next, 1));
  }
  return out;
}

// The same in a new session of `model`.
inline std::vector<TokenId> greedy(const std::shared_ptr<const Model>& model, const std::vector<TokenId>& prompt,
                                   int count) {
  Session session(model);
  return greedy(session, prompt, count);
}

// exp(mean negative log-likelihood of each next id), in double.
inline double perplexity(const std::vector<float>& logits, const std::vector<TokenId>& ids) {
  const size_t vocab = logits.size() / ids.size();
  double nll = 0;
  for (size_t p = 0; p + 1 < ids.size(); ++p) {
    const float* row = logits.data() + p * vocab;
    const double top = *std::max_element(row, row + vocab);
    double sum = 0;
    for (size_t v = 0; v < vocab; ++v) sum += std::exp(row[v] - top);
    nll -= row[ids[p + 1]] - top - std::log(sum);
  }
  return std::exp(nll / static_cast<double>(ids.size() - 1));
}

inline int argmax(const float* row, size_t n) { return static_cast<int>(std::max_element(row, row + n) - row); }

}  // namespace attn::test
