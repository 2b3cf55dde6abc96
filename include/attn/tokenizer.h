// Text <-> token ids. One interface; implementations live in tokenizer/.
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attn ATTN_API {

using TokenId = int32_t;

// Token ids with each one's segment (token type id): 0 for a single text and
// the first of a pair; what the tokenizer's template says for the second.
struct Encoding {
  std::vector<TokenId> ids;
  std::vector<int32_t> type_ids;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes UTF-8 text. With add_special, the special tokens the tokenizer's
  // configuration asks for (e.g. BOS) are added. Throws attn::Error on
  // invalid UTF-8.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special = true) const = 0;

  // Adds the special tokens around ids encoded without them, for one text or
  // a pair (BERT: [CLS] a [SEP] b [SEP], the second segment of type 1).
  virtual Encoding add_special_tokens(std::vector<TokenId> first,
                                      const std::vector<TokenId>* second = nullptr) const = 0;

  // Decodes ids to UTF-8 text; special/control tokens are skipped. An
  // incomplete UTF-8 sequence at the end decodes to U+FFFD.
  virtual std::string decode(std::span<const TokenId> ids) const = 0;

  virtual int vocab_size() const = 0;
  // -1 when the tokenizer has no such token.
  virtual TokenId bos_id() const = 0;
  virtual TokenId eos_id() const = 0;
  // The piece as stored in the vocabulary (e.g. "▁the", "<0x0A>").
  virtual std::string token_text(TokenId id) const = 0;

  // Translation tokenizers that mark languages with tokens (M2M-100's
  // "__de__", NLLB's "deu_Latn"): each language code's token. Empty for others.
  virtual std::map<std::string, TokenId> language_codes() const { return {}; }
  // encode(text) as the source of a translation from `language` (a key of
  // language_codes(); empty: the tokenizer's own src_lang), the language's
  // token where the model reads it. Throws attn::Error naming an unknown
  // code, or any code for a tokenizer without language codes.
  virtual std::vector<TokenId> encode_source(std::string_view text, const std::string& language) const;
};

// Encodes a text, or a pair of texts, the way a model takes it: with special
// tokens and, when max_length > 0 and the result would be longer, tokens cut
// from the end of the longer text first (Hugging Face's
// truncation="longest_first"). `truncated` (if given) tells whether anything
// was cut. Throws attn::Error on invalid UTF-8, or when max_length cannot
// hold even the special tokens.
Encoding encode_for_model(const Tokenizer& tokenizer, std::string_view first,
                          std::optional<std::string_view> second = std::nullopt, int max_length = 0,
                          bool* truncated = nullptr);

// Loads a tokenizer from a file (tokenizer.model) or a model directory.
// Throws attn::Error naming the path when nothing usable is found.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::filesystem::path& path);

// Turns a stream of token ids into text pieces that are always whole UTF-8
// characters, with the spacing the full decode would give.
class TokenStreamer {
 public:
  explicit TokenStreamer(const Tokenizer& tokenizer);
  // Feeds the ids already in context (e.g. the prompt) without emitting them.
  void prime(std::span<const TokenId> ids);
  // Adds one id; returns the text that became complete (possibly empty).
  std::string push(TokenId id);
  // Returns whatever is still held back (incomplete bytes decode to U+FFFD).
  std::string flush();

 private:
  // The text ids_[read_offset_..] add to the window; advances the window when
  // there is some (and, with hold_incomplete, it does not end mid-character).
  std::string take_text(bool hold_incomplete);
  void drop_before_window();

  const Tokenizer& tokenizer_;
  std::vector<TokenId> ids_;
  size_t prefix_offset_ = 0;  // ids_[prefix_offset_, read_offset_) give the context for spacing
  size_t read_offset_ = 0;    // ids_ from here on are not yet emitted
};

}  // namespace attn
