// Hugging Face's T5Tokenizer over spiece.model: SentencePiece ids with </s>
// appended, and `extra_ids` sentinel tokens <extra_id_0>.. numbered down
// from the end of the vocabulary (<extra_id_0> is the last id). Sentinels
// written in the text are their ids; the text between them is encoded
// piece by piece, as the slow tokenizer's legacy mode does.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "attn/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attn {

class T5Tokenizer final : public Tokenizer {
 public:
  // `model_path` is spiece.model; tokenizer_config.json beside it may set
  // "extra_ids" (default 100). Throws attn::Error naming the bad file.
  explicit T5Tokenizer(const std::filesystem::path& model_path);
  ~T5Tokenizer() override;

  // The text's ids, then </s> with add_special (unless they already end in it).
  std::vector<TokenId> encode(std::string_view text, bool add_special = true) const override;
  // a </s> [b </s>], every type id 0 (T5Tokenizer's build_inputs_with_special_tokens).
  Encoding add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const override;
  // decode(skip_special_tokens=True): </s>, <pad>, <unk> and sentinels are
  // skipped, the rest detokenised by SentencePiece and stripped.
  std::string decode(std::span<const TokenId> ids) const override;
  int vocab_size() const override;
  TokenId bos_id() const override { return -1; }
  TokenId eos_id() const override;
  std::string token_text(TokenId id) const override;

 private:
  // The sentinel <extra_id_N> starting at `text`'s front, as its length and id.
  std::optional<std::pair<size_t, TokenId>> sentinel_at(std::string_view text) const;
  void check_id(TokenId id) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  int pieces_ = 0;  // SentencePiece's; the sentinels follow
  int extra_ids_ = 100;
};

}  // namespace attn
