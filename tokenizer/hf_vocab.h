// A model's vocabulary: token text <-> id, with lookups by string_view.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "attn/tokenizer.h"

namespace attn::hf {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

class Vocab {
 public:
  // Throws attn::Error on a negative or absurdly large id.
  void add(std::string token, TokenId id);

  // -1 when absent.
  TokenId find(std::string_view token) const {
    const auto it = ids_.find(token);
    return it == ids_.end() ? -1 : it->second;
  }
  // Throws attn::Error naming `role` (e.g. "unk_token") when absent.
  TokenId require(std::string_view token, std::string_view role) const;

  // The byte-fallback tokens <0x00>..<0xFF> spelling `bytes`, appended to
  // `out`; false (and `out` unchanged) when one of them is missing.
  bool append_byte_tokens(std::string_view bytes, std::vector<TokenId>& out) const;

  // "" for an id no token has.
  const std::string& token(TokenId id) const;
  // One past the largest id.
  int size() const { return static_cast<int>(tokens_.size()); }
  // The number of distinct tokens (Hugging Face's get_vocab_size).
  int count() const { return static_cast<int>(ids_.size()); }
  // The longest token, in bytes.
  size_t max_token_length() const { return max_length_; }

 private:
  std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> tokens_;
  size_t max_length_ = 0;
};

}  // namespace attn::hf
