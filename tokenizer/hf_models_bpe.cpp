#include "tokenizer/hf_models_bpe.h"

#include <queue>

#include "attn/error.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

// A merge rule as "left right" or ["left", "right"] (the form that allows
// spaces inside tokens).
std::pair<std::string, std::string> merge_parts(const Json& merge) {
  if (merge.is_array() && merge.size() == 2) return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  if (merge.is_string()) {
    const std::string text = merge.get<std::string>();
    const size_t space = text.find(' ');
    if (space != std::string::npos && text.find(' ', space + 1) == std::string::npos) {
      return {text.substr(0, space), text.substr(space + 1)};
    }
  }
  throw Error("BPE merge " + merge.dump() + " is not two tokens (\"a b\" or [\"a\", \"b\"])");
}

}  // namespace

BpeModel::BpeModel(const Json& config)
    : vocab_(read_vocab_object(config, "BPE")),
      continuing_subword_prefix_(get_or<std::string>(config, "continuing_subword_prefix", "")),
      end_of_word_suffix_(get_or<std::string>(config, "end_of_word_suffix", "")),
      fuse_unk_(get_or(config, "fuse_unk", false)),
      byte_fallback_(get_or(config, "byte_fallback", false)),
      ignore_merges_(get_or(config, "ignore_merges", false)) {
  if (has(config, "unk_token")) unk_id_ = vocab_.require(config.at("unk_token").get<std::string>(), "BPE unk_token");
  read_merges(require(config, "merges", "BPE model"));
}

void BpeModel::read_merges(const Json& merges) {
  if (!merges.is_array()) throw Error("BPE model merges must be an array");
  merges_.reserve(merges.size());
  int32_t rank = 0;
  for (const Json& merge : merges) {
    const auto [left, right] = merge_parts(merge);
    const TokenId left_id = vocab_.require(left, "BPE merge token");
    const TokenId right_id = vocab_.require(right, "BPE merge token");
    // The right part's continuing-subword prefix is not repeated inside the
    // merged token.
    const size_t prefix = std::min(continuing_subword_prefix_.size(), right.size());
    const TokenId merged_id = vocab_.require(left + right.substr(prefix), "BPE merge result");
    merges_.insert_or_assign(pair_key(left_id, right_id), Merge{rank++, merged_id});
  }
}

const BpeModel::Merge* BpeModel::find_merge(TokenId left, TokenId right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::tokenize(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const TokenId id = vocab_.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (cache_.lookup(word, out)) return;
  std::vector<TokenId> ids = merge_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  cache_.store(word, std::move(ids));
}

std::vector<TokenId> BpeModel::merge_word(std::string_view word) const {
  struct Symbol {
    TokenId id;
    int prev, next;
    bool removed;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  const auto add_symbol = [&](TokenId id) {
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, false});
  };

  // One symbol per character (with prefix and suffix where configured);
  // unknown characters become byte tokens or unk.
  TokenId pending_unk = -1;
  std::string piece;
  for (size_t pos = 0; pos < word.size();) {
    const size_t start = pos;
    pos += utf8_sequence_length(static_cast<unsigned char>(word[pos]));
    piece.clear();
    if (start > 0) piece += continuing_subword_prefix_;
    piece.append(word.substr(start, pos - start));
    if (pos == word.size()) piece += end_of_word_suffix_;

    if (const TokenId id = vocab_.find(piece); id >= 0) {
      if (pending_unk >= 0) add_symbol(pending_unk);
      pending_unk = -1;
      add_symbol(id);
      continue;
    }
    if (byte_fallback_) {
      std::vector<TokenId> bytes;
      if (vocab_.append_byte_tokens(piece, bytes)) {
        for (const TokenId id : bytes) add_symbol(id);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      // Consecutive unknown characters share one unk when fuse_unk is set.
      if (pending_unk >= 0 && !fuse_unk_) add_symbol(pending_unk);
      pending_unk = unk_id_;
    }
    // Without an unk token the character is dropped, as Hugging Face does.
  }
  if (pending_unk >= 0) add_symbol(pending_unk);
  if (!symbols.empty()) symbols.back().next = -1;

  // Apply merges lowest rank first (leftmost among equal ranks); queue
  // entries made stale by earlier merges are skipped when popped.
  struct Candidate {
    int32_t rank;
    int pos;
    TokenId id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  const auto push_pair = [&](int left) {
    const int right = symbols[left].next;
    if (right < 0) return;
    if (const Merge* merge = find_merge(symbols[left].id, symbols[right].id)) queue.push({merge->rank, left, merge->id});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) push_pair(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.removed || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const Merge* merge = find_merge(left.id, right.id);
    if (!merge || merge->id != top.id) continue;
    left.id = top.id;
    right.removed = true;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }

  std::vector<TokenId> ids;
  for (const Symbol& symbol : symbols) {
    if (!symbol.removed) ids.push_back(symbol.id);
  }
  return ids;
}

}  // namespace attn::hf
