// Text <-> token ids. One interface; implementations live in tokenizer/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attn {

using TokenId = int32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes UTF-8 text. With add_special, the special tokens the tokenizer's
  // configuration asks for (e.g. BOS) are added. Throws attn::Error on
  // invalid UTF-8.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special = true) const = 0;

  // Decodes ids to UTF-8 text; special/control tokens are skipped. An
  // incomplete UTF-8 sequence at the end decodes to U+FFFD.
  virtual std::string decode(std::span<const TokenId> ids) const = 0;

  virtual int vocab_size() const = 0;
  // -1 when the tokenizer has no such token.
  virtual TokenId bos_id() const = 0;
  virtual TokenId eos_id() const = 0;
  // The piece as stored in the vocabulary (e.g. "▁the", "<0x0A>").
  virtual std::string token_text(TokenId id) const = 0;
};

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
