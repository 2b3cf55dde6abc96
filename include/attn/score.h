// Scoring text with a decoder (causal LM): the log-likelihood of each of
// many texts, and the perplexity of one long token stream.
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

struct ScoreOptions {
  int batch_size = 32;  // texts per forward pass (packed back to back, no padding)
  // A text longer than the context: keep its first context-length tokens and
  // report the rest in TextScore::truncated_tokens, instead of an error.
  bool truncate = false;
  bool token_logprobs = false;  // also fill TextScore::token_logprobs
};

// How well the model predicts one text: the tokens of its encoding (with the
// special tokens the tokenizer adds, e.g. BOS) from the second on, each given
// all before it. The first token is context only: BOS when the tokenizer adds
// one, else the text's own first token (as Hugging Face's shifted labels do).
struct TextScore {
  double logprob = 0;  // sum of natural-log probabilities of the scored tokens
  int tokens = 0;      // how many tokens were scored
  std::vector<double> token_logprobs;  // per scored token, with ScoreOptions::token_logprobs
  int truncated_tokens = 0;  // tokens dropped to fit the context (ScoreOptions::truncate)
  // Not empty: the text could not be scored (invalid UTF-8, nothing to
  // score, longer than the context) and the numbers above are 0.
  std::string error;

  bool ok() const { return error.empty(); }
  double nll() const;  // mean negative log-likelihood per scored token
  double ppl() const;  // exp(nll)
};

// One score per text, in input order. A text that cannot be scored gets its
// error and does not stop the others. Throws attn::Error when the model is
// not a decoder or batch_size < 1.
std::vector<TextScore> score_texts(Session& session, std::span<const std::string> texts,
                                   const ScoreOptions& options = {});

// How a long token stream is cut into windows that fit the context.
enum class PerplexityMethod {
  // Hugging Face's perplexity guide ("Perplexity of fixed-length models"):
  // windows of `context` tokens starting every `stride` tokens; each window
  // scores only the tokens no earlier window scored, except its own first
  // token (nothing precedes it in the window), so each token is scored at
  // most once, with up to context - 1 tokens before it. stride == context:
  // disjoint windows, the fastest and least context. Every scored token
  // weighs the same (the guide's token-weighted average).
  SlidingWindow,
  // llama.cpp's llama-perplexity: disjoint chunks of `context` tokens (a
  // partial last chunk is dropped), the first token of each replaced by BOS
  // when the tokenizer has one; only the second half of each chunk is scored,
  // so every scored token has at least context / 2 tokens before it. Stride
  // is not used. Its numbers compare with llama.cpp's for the same model,
  // text and context.
  SecondHalf,
};

struct PerplexityOptions {
  int context = 0;  // tokens per window; 0: the session's context length
  int stride = 0;   // SlidingWindow: tokens between window starts, 1..context; 0: context
  PerplexityMethod method = PerplexityMethod::SlidingWindow;
  int batch_size = 4;  // windows per forward pass
};

struct PerplexityResult {
  double nll_sum = 0;  // negative log-likelihood summed over the scored tokens
  int64_t tokens = 0;  // tokens scored
  int chunks = 0;      // windows evaluated
  double nll() const;  // nll_sum / tokens
  double ppl() const;  // exp(nll)
};

// Perplexity of a token stream (e.g. a whole file encoded once, BOS first).
// Throws attn::Error for a non-decoder model, invalid options, or a stream
// too short for one window's worth of scored tokens.
PerplexityResult perplexity(Session& session, std::span<const TokenId> tokens, const PerplexityOptions& options = {});

}  // namespace attn
