#include "tokenizer/hf_vocab.h"

#include <cstdio>

#include "attn/error.h"

namespace attn::hf {

void Vocab::add(std::string token, TokenId id) {
  // Ids index dense tables; no real vocabulary comes near 2^24 tokens.
  constexpr TokenId kMaxId = 1 << 24;
  if (id < 0 || id > kMaxId) throw Error("token \"" + token + "\" has id " + std::to_string(id) + ", outside 0.." + std::to_string(kMaxId));
  if (static_cast<size_t>(id) >= tokens_.size()) tokens_.resize(static_cast<size_t>(id) + 1);
  // Where a file repeats a token or an id, the last entry wins, as in
  // Hugging Face's hash maps.
  max_length_ = std::max(max_length_, token.size());
  tokens_[id] = token;
  ids_.insert_or_assign(std::move(token), id);
}

TokenId Vocab::require(std::string_view token, std::string_view role) const {
  const TokenId id = find(token);
  if (id < 0) throw Error(std::string(role) + " \"" + std::string(token) + "\" is not in the vocabulary");
  return id;
}

bool Vocab::append_byte_tokens(std::string_view bytes, std::vector<TokenId>& out) const {
  const size_t size = out.size();
  for (const char byte : bytes) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(byte));
    const TokenId id = find(name);
    if (id < 0) {
      out.resize(size);
      return false;
    }
    out.push_back(id);
  }
  return true;
}

const std::string& Vocab::token(TokenId id) const {
  static const std::string kNone;
  return id >= 0 && id < size() ? tokens_[id] : kNone;
}

}  // namespace attn::hf
