#include "tokenizer/hf_models_wordpiece.h"

#include "attn/error.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {

WordPieceModel::WordPieceModel(const Json& config)
    : vocab_(read_vocab_object(config, "WordPiece")),
      unk_token_(get_or<std::string>(config, "unk_token", "[UNK]")),
      prefix_(get_or<std::string>(config, "continuing_subword_prefix", "##")),
      max_chars_(get_or<size_t>(config, "max_input_chars_per_word", 100)) {}

void WordPieceModel::tokenize(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty() || cache_.lookup(word, out)) return;
  std::vector<TokenId> ids = split_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  cache_.store(word, std::move(ids));
}

std::vector<TokenId> WordPieceModel::split_word(std::string_view word) const {
  // The unk token is looked up only when needed: Hugging Face fails only
  // then when it is missing.
  const auto unknown = [&] { return std::vector<TokenId>{vocab_.require(unk_token_, "WordPiece unk_token")}; };
  size_t chars = 0;
  for (size_t pos = 0; pos < word.size(); pos += utf8_sequence_length(static_cast<unsigned char>(word[pos]))) ++chars;
  if (chars > max_chars_) return unknown();

  std::vector<TokenId> ids;
  std::string candidate;
  for (size_t start = 0; start < word.size();) {
    // Longest match first; nothing longer than the longest token can match.
    const size_t prefix = start > 0 ? prefix_.size() : 0;
    size_t end = std::min(word.size(), start + (vocab_.max_token_length() - std::min(prefix, vocab_.max_token_length())));
    while (end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;  // a character boundary
    TokenId found = -1;
    while (end > start) {
      candidate.assign(start > 0 ? prefix_ : "");
      candidate.append(word.substr(start, end - start));
      if ((found = vocab_.find(candidate)) >= 0) break;
      do --end; while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) return unknown();
    ids.push_back(found);
    start = end;
  }
  return ids;
}

}  // namespace attn::hf
