// Remembers the ids of words a model has tokenized. Real text repeats words
// constantly, so most words skip the model's work. Safe to share between
// threads (a Tokenizer is immutable and shared).
#pragma once

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_vocab.h"

namespace attn::hf {

class WordCache {
 public:
  // Appends the cached ids of `word` to `out`; false when not cached.
  bool lookup(std::string_view word, std::vector<TokenId>& out) const {
    std::shared_lock lock(mutex_);
    const auto it = words_.find(word);
    if (it == words_.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void store(std::string_view word, std::vector<TokenId> ids) const {
    if (word.size() > kMaxWordBytes) return;  // long words are rare: not worth the memory
    std::unique_lock lock(mutex_);
    // When full, start afresh rather than stop adding (as Hugging Face
    // does): a cache frozen on an earlier text would miss on every new
    // word, while the common words of the current text come back at once.
    if (words_.size() >= kCapacity) words_.clear();
    words_.emplace(std::string(word), std::move(ids));
  }

 private:
  static constexpr size_t kCapacity = 50'000;
  static constexpr size_t kMaxWordBytes = 256;

  mutable std::shared_mutex mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>, StringHash, std::equal_to<>> words_;
};

}  // namespace attn::hf
