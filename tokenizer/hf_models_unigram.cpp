#include "tokenizer/hf_models_unigram.h"

#include <algorithm>
#include <limits>

#include "attn/error.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

// How much worse than the worst piece an unknown character scores
// (SentencePiece's kUnkPenalty).
constexpr double kUnkPenalty = 10.0;

}  // namespace

UnigramModel::UnigramModel(const Json& config) : byte_fallback_(get_or(config, "byte_fallback", false)) {
  const Json& pieces = require(config, "vocab", "Unigram model");
  if (!pieces.is_array()) throw Error("Unigram model vocab must be an array of [piece, score]");
  double min_score = std::numeric_limits<double>::infinity();
  for (size_t id = 0; id < pieces.size(); ++id) {
    const Json& entry = pieces[id];
    if (!entry.is_array() || entry.size() != 2) throw Error("Unigram vocab entry " + entry.dump() + " is not [piece, score]");
    const std::string piece = entry[0].get<std::string>();
    const double score = entry[1].get<double>();
    vocab_.add(piece, static_cast<TokenId>(id));
    trie_.insert(piece, static_cast<int32_t>(id));
    scores_.push_back(score);
    min_score = std::min(min_score, score);
  }
  if (has(config, "unk_id")) {
    const auto unk = json_int<int64_t>(config.at("unk_id"), "Unigram unk_id");
    if (unk < 0 || unk >= static_cast<int64_t>(pieces.size())) {
      throw Error("Unigram unk_id " + std::to_string(unk) + " is outside the vocabulary");
    }
    unk_id_ = static_cast<TokenId>(unk);
  }
  unk_score_ = min_score - kUnkPenalty;
}

void UnigramModel::tokenize(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty() || cache_.lookup(word, out)) return;
  std::vector<TokenId> ids;
  for (const std::string_view piece : best_segmentation(word)) append_piece_ids(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  cache_.store(word, std::move(ids));
}

std::vector<std::string_view> UnigramModel::best_segmentation(std::string_view word) const {
  // best[end]: the best path over word[0, end) and its last piece.
  struct Node {
    double score = 0;
    size_t start = 0;
    TokenId id = -1;
    bool reached = false;
  };
  std::vector<Node> best(word.size() + 1);
  best[0].reached = true;
  const auto offer = [&](size_t start, size_t end, TokenId id, double score) {
    Node& node = best[end];
    const double total = best[start].score + score;
    if (!node.reached || total > node.score) node = {total, start, id, true};
  };
  for (size_t start = 0; start < word.size();) {
    const size_t char_length = utf8_sequence_length(static_cast<unsigned char>(word[start]));
    bool covers_char = false;
    trie_.for_each_prefix(word.substr(start), [&](size_t length, int32_t id) {
      offer(start, start + length, id, scores_[id]);
      covers_char = covers_char || length == char_length;
    });
    if (!covers_char) {
      if (!unk_id_) throw Error("Unigram model has no unk_id but meets a character outside its vocabulary");
      offer(start, start + char_length, *unk_id_, unk_score_);
    }
    start += char_length;
  }

  // Walk back from the end; runs of unknowns become one piece.
  std::vector<std::string_view> pieces;
  bool previous_unknown = false;
  for (size_t end = word.size(); end > 0;) {
    const Node& node = best[end];
    const std::string_view piece = word.substr(node.start, end - node.start);
    const bool unknown = unk_id_ && node.id == *unk_id_;
    if (unknown && previous_unknown) {
      pieces.back() = word.substr(node.start, pieces.back().size() + piece.size());
    } else {
      pieces.push_back(piece);
    }
    previous_unknown = unknown;
    end = node.start;
  }
  std::reverse(pieces.begin(), pieces.end());
  return pieces;
}

void UnigramModel::append_piece_ids(std::string_view piece, std::vector<TokenId>& out) const {
  if (const TokenId id = vocab_.find(piece); id >= 0) {
    out.push_back(id);
    return;
  }
  if (byte_fallback_ && vocab_.append_byte_tokens(piece, out)) return;
  if (!unk_id_) throw Error("Unigram model has no unk_id for \"" + std::string(piece) + "\"");
  out.push_back(*unk_id_);
}

}  // namespace attn::hf
