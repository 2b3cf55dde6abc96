// attn::score_texts and attn::perplexity: both reduce to "log p of each
// token from some index on, given the tokens before it" over independent
// sequences, run many per forward pass packed back to back. Packing needs no
// padding, so unlike padded batching there is nothing to gain from grouping
// sequences by length: any order costs the same work.
#include "attn/score.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "attn/error.h"

namespace attn {
namespace {

// A pass returns the logits of every token, [rows, vocab]; bounding the rows
// bounds that buffer (128 MiB) whatever the batch size and vocabulary.
constexpr int64_t kMaxLogitFloats = int64_t{1} << 25;

struct ScoredSequence {
  std::vector<TokenId> ids;
  int first_scored;  // ids[first_scored..] are scored, each given those before it; >= 1
};

// Natural-log softmax of `row` at `target`, summed in double.
double log_softmax_at(const float* row, int64_t vocab, TokenId target) {
  const float max = *std::max_element(row, row + vocab);
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) sum += std::exp(double{row[i]} - max);
  return double{row[target]} - max - std::log(sum);
}

// Below this many logits a pass scores on one thread: waking the others
// would cost more than the work.
constexpr int64_t kMinParallelLogits = int64_t{1} << 16;

// Fills logprobs[i] with log p(ids[t] | ids[..t]) for t >= first_scored of
// every sequence in one packed forward pass.
void score_pass(Session& session, std::span<const ScoredSequence> pass, std::vector<Encoding>& packed,
                std::span<std::vector<double>> logprobs) {
  packed.clear();
  for (const ScoredSequence& s : pass) packed.push_back({s.ids, {}});
  const float* logits = session.forward_packed(packed).data();
  const int64_t vocab = session.model().info().vocab_size;

  struct Target {
    int64_t row;  // the row predicting it: the token before
    TokenId id;
    double* out;
  };
  std::vector<Target> targets;
  int64_t first_row = 0;
  for (size_t i = 0; i < pass.size(); ++i) {
    const ScoredSequence& s = pass[i];
    logprobs[i].assign(s.ids.size() - s.first_scored, 0.0);
    for (size_t t = s.first_scored; t < s.ids.size(); ++t) {
      targets.push_back({first_row + static_cast<int64_t>(t) - 1, s.ids[t], &logprobs[i][t - s.first_scored]});
    }
    first_row += static_cast<int64_t>(s.ids.size());
  }

  const int64_t count = static_cast<int64_t>(targets.size());
#pragma omp parallel for schedule(static) if (count * vocab >= kMinParallelLogits)
  for (int64_t i = 0; i < count; ++i) {
    *targets[i].out = log_softmax_at(logits + targets[i].row * vocab, vocab, targets[i].id);
  }
}

// Per-token log-probabilities of every sequence, in order: up to batch_size
// sequences per pass, fewer when their logits would exceed the bound.
std::vector<std::vector<double>> score_sequences(Session& session, std::span<const ScoredSequence> sequences,
                                                 int batch_size) {
  const int64_t max_rows = std::max<int64_t>(1, kMaxLogitFloats / session.model().info().vocab_size);
  std::vector<std::vector<double>> logprobs(sequences.size());
  std::vector<Encoding> packed;
  for (size_t first = 0; first < sequences.size();) {
    size_t end = first;
    int64_t rows = 0;
    while (end < sequences.size() && end - first < static_cast<size_t>(batch_size) &&
           (end == first || rows + static_cast<int64_t>(sequences[end].ids.size()) <= max_rows)) {
      rows += static_cast<int64_t>(sequences[end].ids.size());
      ++end;
    }
    score_pass(session, sequences.subspan(first, end - first), packed,
               std::span<std::vector<double>>(logprobs).subspan(first, end - first));
    first = end;
  }
  return logprobs;
}

void require_decoder(const Session& session, const char* what) {
  const ModelInfo& info = session.model().info();
  if (info.encoder) {
    throw Error(std::string(what) + ": " + info.path.string() + " is an encoder (" + info.architecture +
                "); log-likelihoods need a decoder (causal LM)");
  }
}

// The text's token ids ready to score, or the reason it cannot be.
std::vector<TokenId> tokens_to_score(const Tokenizer& tokenizer, const std::string& text, int context,
                                     bool truncate, TextScore& score) {
  std::vector<TokenId> ids;
  try {
    ids = tokenizer.encode(text, true);
  } catch (const Error& e) {
    score.error = e.what();
    return {};
  }
  if (ids.size() < 2) {
    score.error = text.empty() ? "the text is empty: there is no token to score"
                               : "the text is a single token with no BOS before it: there is nothing to predict it from";
    return {};
  }
  if (static_cast<int64_t>(ids.size()) > context) {
    if (!truncate) {
      score.error = "the text is " + std::to_string(ids.size()) + " tokens but the context holds " +
                    std::to_string(context) + "; shorten it or truncate it (--truncate)";
      return {};
    }
    score.truncated_tokens = static_cast<int>(ids.size()) - context;
    ids.resize(context);
  }
  return ids;
}

}  // namespace

double TextScore::nll() const { return tokens > 0 ? -logprob / tokens : 0.0; }
double TextScore::ppl() const { return std::exp(nll()); }
double PerplexityResult::nll() const { return tokens > 0 ? nll_sum / static_cast<double>(tokens) : 0.0; }
double PerplexityResult::ppl() const { return std::exp(nll()); }

std::vector<TextScore> score_texts(Session& session, std::span<const std::string> texts, const ScoreOptions& options) {
  require_decoder(session, "score");
  if (options.batch_size < 1) throw Error("score: batch size must be at least 1");
  const Tokenizer& tokenizer = session.model().tokenizer();

  std::vector<TextScore> scores(texts.size());
  std::vector<ScoredSequence> sequences;
  std::vector<size_t> owner;  // sequences[i] scores texts[owner[i]]
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<TokenId> ids = tokens_to_score(tokenizer, texts[i], session.context_length(), options.truncate, scores[i]);
    if (!scores[i].ok()) continue;
    sequences.push_back({std::move(ids), 1});
    owner.push_back(i);
  }

  const auto logprobs = score_sequences(session, sequences, options.batch_size);
  for (size_t i = 0; i < sequences.size(); ++i) {
    TextScore& score = scores[owner[i]];
    for (double value : logprobs[i]) score.logprob += value;
    score.tokens = static_cast<int>(logprobs[i].size());
    if (options.token_logprobs) score.token_logprobs = logprobs[i];
  }
  return scores;
}

PerplexityResult perplexity(Session& session, std::span<const TokenId> tokens, const PerplexityOptions& options) {
  require_decoder(session, "perplexity");
  const int context = options.context > 0 ? options.context : session.context_length();
  const int stride = options.stride > 0 ? options.stride : context;
  if (context < 2 || context > session.context_length()) {
    throw Error("perplexity: the window (--ctx) must be 2.." + std::to_string(session.context_length()) +
                " tokens, not " + std::to_string(context));
  }
  if (options.batch_size < 1) throw Error("perplexity: batch size must be at least 1");
  const int64_t n = static_cast<int64_t>(tokens.size());

  std::vector<ScoredSequence> windows;
  if (options.method == PerplexityMethod::SlidingWindow) {
    if (stride > context) throw Error("perplexity: the stride must be 1..window (" + std::to_string(context) + ")");
    // The guide's loop: window [begin, end) scores its tokens after the
    // previous window's end, but never its own first (the labels' shift).
    int64_t previous_end = 0;
    for (int64_t begin = 0; previous_end < n; begin += stride) {
      const int64_t end = std::min(begin + context, n);
      if (end - begin < 2) break;  // a last window of one token has nothing to score
      windows.push_back({std::vector<TokenId>(tokens.begin() + begin, tokens.begin() + end),
                         static_cast<int>(std::max<int64_t>(1, previous_end - begin))});
      previous_end = end;
    }
  } else {
    const TokenId bos = session.model().tokenizer().bos_id();
    for (int64_t begin = 0; begin + context <= n; begin += context) {
      ScoredSequence& chunk = windows.emplace_back(
          ScoredSequence{std::vector<TokenId>(tokens.begin() + begin, tokens.begin() + begin + context), context / 2 + 1});
      if (bos >= 0) chunk.ids.front() = bos;
    }
  }
  if (windows.empty()) {
    throw Error("perplexity: the text is " + std::to_string(n) + " tokens, too short for one window of " +
                std::to_string(context) + " (use a smaller --ctx)");
  }

  PerplexityResult result;
  result.chunks = static_cast<int>(windows.size());
  for (const auto& window : score_sequences(session, windows, options.batch_size)) {
    for (double value : window) result.nll_sum -= value;
    result.tokens += static_cast<int64_t>(window.size());
  }
  return result;
}

}  // namespace attn
