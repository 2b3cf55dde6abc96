#include "tokenizer/m2m100_tokenizer.h"

#include <sentencepiece_processor.h>

#include <array>
#include <string_view>

#include "attn/error.h"
#include "json/checked.h"
#include "tokenizer/utf8.h"

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

std::string config_string(const nlohmann::json& config, const char* key, const std::string& fallback,
                          const fs::path& path) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_string()) throw Error(path.string() + ": \"" + key + "\" must be a string");
  return config[key].get<std::string>();
}

}  // namespace

bool is_m2m100_tokenizer_directory(const fs::path& directory) {
  std::error_code error;
  return fs::is_regular_file(directory / "sentencepiece.bpe.model", error) &&
         fs::is_regular_file(directory / "vocab.json", error);
}

M2M100Tokenizer::M2M100Tokenizer(const fs::path& directory)
    : processor_(read_sentencepiece_model(directory / "sentencepiece.bpe.model")),
      vocab_(read_piece_vocabulary(directory / "vocab.json")) {
  const fs::path config_path = directory / "tokenizer_config.json";
  nlohmann::json config = nlohmann::json::object();
  if (fs::exists(config_path)) config = read_json_file(config_path);
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  const std::string codes = config_string(config, "language_codes", "m2m100", config_path);
  if (codes == "m2m100") languages_.assign(kM2M100Codes.begin(), kM2M100Codes.end());
  else if (codes == "wmt21") languages_.assign(kWmt21Codes.begin(), kWmt21Codes.end());
  else throw Error(config_path.string() + ": \"language_codes\" must be m2m100 or wmt21, got '" + codes + "'");
  if (config.contains("num_madeup_words") && !config["num_madeup_words"].is_null()) {
    madeup_words_ = json_int<int>(config["num_madeup_words"], config_path.string() + ": \"num_madeup_words\"");
    if (madeup_words_ < 0 || madeup_words_ > 1000) throw Error(config_path.string() + ": \"num_madeup_words\" must be in 0..1000");
  }
  bos_ = vocab_.id("<s>"), pad_ = vocab_.id("<pad>"), eos_ = vocab_.id("</s>"), unk_ = vocab_.id("<unk>");
  if (eos_ < 0 || unk_ < 0) throw Error((directory / "vocab.json").string() + ": the vocabulary needs </s> and <unk>");
  const std::string source = config_string(config, "src_lang", "en", config_path);
  for (size_t i = 0; i < languages_.size(); ++i) {
    if (languages_[i] == source) source_language_ = static_cast<TokenId>(vocab_.pieces.size() + i);
  }
  if (source_language_ < 0) throw Error(config_path.string() + ": unknown language code '" + source + "' in \"src_lang\"");
}

M2M100Tokenizer::~M2M100Tokenizer() = default;

int M2M100Tokenizer::vocab_size() const {
  return static_cast<int>(vocab_.pieces.size() + languages_.size()) + madeup_words_;
}

std::vector<TokenId> M2M100Tokenizer::encode(std::string_view text, bool add_special) const {
  if (const auto offset = find_invalid_utf8(text)) {
    throw Error("invalid UTF-8 at byte offset " + std::to_string(*offset) + " of the text to tokenize; the input must be UTF-8");
  }
  std::vector<std::string> pieces;
  const auto status = processor_->Encode(text, &pieces);
  if (!status.ok()) throw Error(std::string("SentencePiece could not encode the text: ") + status.message());
  std::vector<TokenId> ids;
  for (const std::string& piece : pieces) {
    const TokenId id = vocab_.id(piece);
    ids.push_back(id < 0 ? unk_ : id);
  }
  return add_special ? add_special_tokens(std::move(ids), nullptr).ids : ids;
}

Encoding M2M100Tokenizer::add_special_tokens(std::vector<TokenId> first, const std::vector<TokenId>* second) const {
  Encoding encoding;
  encoding.ids.push_back(source_language_);
  encoding.ids.insert(encoding.ids.end(), first.begin(), first.end());
  if (second) encoding.ids.insert(encoding.ids.end(), second->begin(), second->end());
  encoding.ids.push_back(eos_);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  return encoding;
}

// convert_tokens_to_string: runs of pieces detokenised by SentencePiece,
// special tokens left in the text as they are (of the kept ones, "<unk>" for
// made-up words), then stripped.
std::string M2M100Tokenizer::decode(std::span<const TokenId> ids) const {
  const TokenId languages_end = static_cast<TokenId>(vocab_.pieces.size() + languages_.size());
  std::string text;
  std::vector<std::string> run;
  const auto flush = [&] {
    std::string piece_text;
    const auto status = processor_->Decode(run, &piece_text);
    if (!status.ok()) throw Error(std::string("SentencePiece could not decode the pieces: ") + status.message());
    text += piece_text;
    run.clear();
  };
  for (const TokenId id : ids) {
    const std::string token = token_text(id);  // throws outside the vocabulary
    if (id == bos_ || id == pad_ || id == eos_ || id == unk_ || (id >= static_cast<TokenId>(vocab_.pieces.size()) && id < languages_end)) continue;
    if (id >= languages_end) {
      flush();
      text += "<unk>";
      continue;
    }
    run.push_back(token);
  }
  flush();
  const size_t first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

std::string M2M100Tokenizer::token_text(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(vocab_size() - 1) + ")");
  }
  const size_t index = static_cast<size_t>(id);
  if (index < vocab_.pieces.size()) return vocab_.pieces[index];
  if (index < vocab_.pieces.size() + languages_.size()) return "__" + languages_[index - vocab_.pieces.size()] + "__";
  return "madeupword" + std::to_string(index - vocab_.pieces.size() - languages_.size());
}

}  // namespace attn
