#include "tokenizer/m2m100_tokenizer.h"

#include <array>
#include <map>
#include <string_view>

#include "attn/error.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

// transformers' FAIRSEQ_LANGUAGE_CODES, in their order (which fixes the ids).
constexpr std::array<std::string_view, 100> kM2M100Codes = {
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy", "da", "de", "el", "en",
    "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr", "ht", "hu",
    "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg", "ln", "lo",
    "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or", "pa", "pl",
    "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw", "ta", "th",
    "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu"};
constexpr std::array<std::string_view, 8> kWmt21Codes = {"en", "ha", "is", "ja", "cs", "ru", "zh", "de"};

}  // namespace

bool is_m2m100_tokenizer_directory(const fs::path& directory) {
  std::error_code error;
  return fs::is_regular_file(directory / "sentencepiece.bpe.model", error) &&
         fs::is_regular_file(directory / "vocab.json", error);
}

M2M100Tokenizer::M2M100Tokenizer(const fs::path& directory)
    : LanguageCodeTokenizer(directory / "sentencepiece.bpe.model"), vocab_(read_piece_vocabulary(directory / "vocab.json")) {
  const fs::path config_path = directory / "tokenizer_config.json";
  const nlohmann::json config = read_tokenizer_config_object(directory);
  const std::string codes = config_string(config, "language_codes", "m2m100", config_path);
  if (codes == "m2m100") codes_.assign(kM2M100Codes.begin(), kM2M100Codes.end());
  else if (codes == "wmt21") codes_.assign(kWmt21Codes.begin(), kWmt21Codes.end());
  else throw Error(config_path.string() + ": \"language_codes\" must be m2m100 or wmt21, got '" + codes + "'");
  if (config.contains("num_madeup_words") && !config["num_madeup_words"].is_null()) {
    madeup_words_ = json_int<int>(config["num_madeup_words"], config_path.string() + ": \"num_madeup_words\"");
    if (madeup_words_ < 0 || madeup_words_ > 1000) throw Error(config_path.string() + ": \"num_madeup_words\" must be in 0..1000");
  }
  bos_ = vocab_.id("<s>"), pad_ = vocab_.id("<pad>"), eos_ = vocab_.id("</s>"), unk_ = vocab_.id("<unk>");
  if (eos_ < 0 || unk_ < 0) throw Error((directory / "vocab.json").string() + ": the vocabulary needs </s> and <unk>");
  std::map<std::string, TokenId> languages;
  for (size_t i = 0; i < codes_.size(); ++i) languages[codes_[i]] = static_cast<TokenId>(vocab_.pieces.size() + i);
  set_languages(std::move(languages), config_string(config, "src_lang", "en", config_path), config_path);
}

int M2M100Tokenizer::vocab_size() const {
  return static_cast<int>(vocab_.pieces.size() + codes_.size()) + madeup_words_;
}

std::vector<TokenId> M2M100Tokenizer::text_ids(std::string_view text) const {
  std::vector<TokenId> ids;
  for (const std::string& piece : encode_pieces(text)) {
    const TokenId id = vocab_.id(piece);
    ids.push_back(id < 0 ? unk_ : id);
  }
  return ids;
}

// convert_tokens_to_string: runs of pieces detokenised by SentencePiece,
// special tokens left in the text as they are (of the kept ones, "<unk>" for
// made-up words), then stripped.
std::string M2M100Tokenizer::decode(std::span<const TokenId> ids) const {
  const TokenId languages_end = static_cast<TokenId>(vocab_.pieces.size() + codes_.size());
  std::string text;
  std::vector<std::string> run;
  for (const TokenId id : ids) {
    const std::string token = token_text(id);  // throws outside the vocabulary
    if (id == bos_ || id == pad_ || id == eos_ || id == unk_ || is_language(id)) continue;
    if (id >= languages_end) {
      text += decode_pieces(run) + "<unk>";
      run.clear();
      continue;
    }
    run.push_back(token);
  }
  return strip_whitespace(text + decode_pieces(run));
}

std::string M2M100Tokenizer::token_text(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(vocab_size() - 1) + ")");
  }
  const size_t index = static_cast<size_t>(id);
  if (index < vocab_.pieces.size()) return vocab_.pieces[index];
  if (index < vocab_.pieces.size() + codes_.size()) return "__" + codes_[index - vocab_.pieces.size()] + "__";
  return "madeupword" + std::to_string(index - vocab_.pieces.size() - codes_.size());
}

}  // namespace attn
