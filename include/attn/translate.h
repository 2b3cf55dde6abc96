// Translation with encoder-decoder models (MarianMTModel): source texts in,
// target texts out, by beam search with Hugging Face's semantics.
#pragma once

#include "attn/export.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

// Unset options take the model's config (generation_config.json, config.json).
struct TranslateOptions {
  int beam_size = 0;       // num_beams; 0: the model's; 1 is greedy decoding
  int max_new_tokens = 0;  // target tokens, EOS included; 0: up to the model's max_length
  std::optional<float> length_penalty;
  std::optional<std::string> early_stopping;  // "true", "false" or "never"
  std::optional<int> no_repeat_ngram_size;
  // Multilingual models: the language to translate into (Marian: the
  // ">>xx<<" token put before the source; M2M-100's "__xx__" and NLLB's
  // "xxx_Xxxx" tokens forced as the first target token, required). Empty:
  // the model's only one.
  std::string target_language;
  // M2M-100, NLLB: the source's language code (default: the tokenizer's src_lang).
  std::string source_language;
  int batch_size = 32;  // sentences decoded together (each with beam_size beams)
};

struct Translation {
  std::string text;
  std::vector<TokenId> tokens;  // generated target ids without the decoder start token, EOS included
  double score = 0;             // Hugging Face's sequences_scores: sum of logprobs / length^length_penalty
  // Not empty: this text could not be translated (empty, invalid UTF-8, an
  // unknown language, longer than the encoder's positions) and the fields
  // above are empty.
  std::string error;
  bool ok() const { return error.empty(); }
};

// Keeps the sessions (sentences x beams) between calls.
class Translator {
 public:
  // Throws attn::Error unless the model is an encoder-decoder.
  explicit Translator(std::shared_ptr<const Model> model);
  ~Translator();
  Translator(Translator&&) noexcept;
  Translator& operator=(Translator&&) noexcept;

  // One translation per text, in order; a text that cannot be translated gets
  // its error and does not stop the others. Throws attn::Error for bad
  // options (beam_size < 0, max_new_tokens past the decoder's positions,
  // an unknown early_stopping value).
  std::vector<Translation> translate(std::span<const std::string> texts, const TranslateOptions& options = {});

  // The source ids the encoder reads for `text` (language token and </s>
  // included); throws attn::Error with the reason the text cannot be translated.
  std::vector<TokenId> encode_source(std::string_view text, const TranslateOptions& options = {}) const;
  // Translates sources given as ids (from encode_source); throws on a bad one.
  std::vector<Translation> translate_ids(std::span<const std::vector<TokenId>> sources,
                                         const TranslateOptions& options = {});

  const Model& model() const;

 private:
  // The token of a language code; throws attn::Error naming the known codes.
  TokenId language_token(const std::string& code) const;

  struct Data;
  std::unique_ptr<Data> data_;
};

// One-off: a Translator for `texts`.
std::vector<Translation> translate(std::shared_ptr<const Model> model, std::span<const std::string> texts,
                                   const TranslateOptions& options = {});

}  // namespace attn
