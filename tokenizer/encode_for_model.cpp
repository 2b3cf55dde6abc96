// Model inputs from text: special tokens, pairs and truncation, the same for
// every tokenizer implementation.
#include <algorithm>
#include <string>

#include "attn/error.h"
#include "attn/tokenizer.h"

namespace attn {

Encoding encode_for_model(const Tokenizer& tokenizer, std::string_view first, std::optional<std::string_view> second,
                          int max_length, bool* truncated) {
  std::vector<TokenId> a = tokenizer.encode(first, false);
  std::vector<TokenId> b = second ? tokenizer.encode(*second, false) : std::vector<TokenId>{};
  const std::vector<TokenId>* pair = second ? &b : nullptr;
  bool cut = false;
  if (max_length > 0) {
    const std::vector<TokenId> none;
    const size_t specials = tokenizer.add_special_tokens({}, second ? &none : nullptr).ids.size();
    if (specials >= static_cast<size_t>(max_length)) {
      throw Error("a maximum length of " + std::to_string(max_length) + " tokens leaves no room for text beside the " +
                  std::to_string(specials) + " special tokens this tokenizer adds");
    }
    const size_t budget = max_length - specials;
    if (a.size() + b.size() > budget) {
      cut = true;
      // As tokenizers' longest_first: only the longer text is cut unless the
      // shorter already takes over half the budget; then each gets half, the
      // longer (the second on a tie) the odd token.
      std::vector<TokenId>& longer = a.size() > b.size() ? a : b;
      std::vector<TokenId>& shorter = a.size() > b.size() ? b : a;
      if (shorter.size() * 2 > budget) {
        shorter.resize(budget / 2);
        longer.resize(budget / 2 + budget % 2);
      } else {
        longer.resize(budget - shorter.size());
      }
    }
  }
  if (truncated) *truncated = cut;
  return tokenizer.add_special_tokens(std::move(a), pair);
}

// Tokenizers without language codes read no source language.
std::vector<TokenId> Tokenizer::encode_source(std::string_view text, const std::string& language) const {
  if (!language.empty()) throw Error("unknown language code '" + language + "': this tokenizer has no language codes");
  return encode(text, true);
}

}  // namespace attn
