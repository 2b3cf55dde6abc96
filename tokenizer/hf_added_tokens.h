// Added tokens (special tokens like <|endoftext|> and user additions):
// found in the text before the model runs, leftmost first and longest
// among those starting at the same place, with Hugging Face's options:
// `normalized` tokens are matched in the normalized text, the others in the
// raw text; `lstrip`/`rstrip` swallow whitespace on that side;
// `single_word` tokens match only between non-word characters.
#pragma once

#include <bitset>
#include <memory>
#include <string>
#include <vector>

#include "attn/tokenizer.h"
#include "tokenizer/hf_byte_trie.h"
#include "tokenizer/hf_json.h"
#include "tokenizer/hf_normalizers.h"
#include "tokenizer/hf_regex.h"

namespace attn::hf {

struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = true;
};

// One entry of tokenizer.json's "added_tokens" (its id is left to the
// caller: see HfTokenizer).
AddedToken read_added_token(const Json& entry);

// A stretch of the input: an added token, or normalized text for the
// pre-tokenizer and model.
struct Segment {
  TokenId id = -1;  // the added token's id, or -1 for text
  std::string text;
  bool at_text_start = false;  // text that begins where the input begins
};

class AddedVocabulary {
 public:
  // `normalizer` (may be null) is applied to the contents of `normalized`
  // tokens, which are then looked for in normalized text.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits `text`, normalizing the parts between raw-matched tokens.
  std::vector<Segment> split(std::string_view text, const Normalizer* normalizer) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Matcher {
    ByteTrie trie;  // content -> index in tokens_
    std::bitset<256> first_bytes;
  };
  struct Match {
    size_t token;  // index in tokens_
    size_t start, end;
  };
  std::vector<Match> find_matches(std::string_view text, const Matcher& matcher) const;
  bool is_word_char_at_end(std::string_view text) const;
  bool is_word_char_at_start(std::string_view text) const;

  std::vector<AddedToken> tokens_;
  Matcher raw_, normalized_;
  Regex word_char_{"\\A[" + std::string(kRustWordChars) + "]\\z"};
};

}  // namespace attn::hf
