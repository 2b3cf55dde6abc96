#include <array>
#include <string_view>
#include <system_error>

#include "attn/error.h"
#include "attn/tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/m2m100_tokenizer.h"
#include "tokenizer/marian_tokenizer.h"
#include "tokenizer/nllb_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/t5_tokenizer.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

// The tokenizer files a model directory may hold, most preferred first
// (tokenizer.json before tokenizer.model, as Hugging Face does).
// spiece.model is T5's (SentencePiece with </s> appended and sentinel ids).
constexpr std::array<std::string_view, 5> kTokenizerFiles = {"tokenizer.json", "tokenizer.model", "spiece.model",
                                                              "vocab.json", "vocab.txt"};

std::shared_ptr<const Tokenizer> load_tokenizer_file(const fs::path& path) {
  // Hugging Face files: tokenizer.json (any *.json), vocab.json + merges.txt, vocab.txt.
  if (path.extension() == ".json" || path.filename() == "vocab.txt") return load_hf_tokenizer(path);
  if (path.filename() == "spiece.model") return std::make_shared<T5Tokenizer>(path);
  return std::make_shared<SentencePieceTokenizer>(path);
}

std::string looked_for() {
  std::string names;
  for (const auto name : kTokenizerFiles) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

std::shared_ptr<const Tokenizer> load_tokenizer_directory(const fs::path& dir) {
  // Marian's and M2M-100's vocab.json map SentencePiece pieces, not a BPE's.
  if (is_marian_tokenizer_directory(dir)) return std::make_shared<MarianTokenizer>(dir);
  // NLLB's tokenizer_config.json names it; its tokenizer.json is the same tokenizer, converted.
  if (is_nllb_tokenizer_directory(dir)) return std::make_shared<NllbTokenizer>(dir);
  if (is_m2m100_tokenizer_directory(dir)) return std::make_shared<M2M100Tokenizer>(dir);
  for (const auto name : kTokenizerFiles) {
    const fs::path candidate = dir / name;
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return load_tokenizer_file(candidate);
  }
  throw Error(dir.string() + ": no tokenizer found (looked for " + looked_for() +
              "); pass a model directory with tokenizer files or the tokenizer file itself");
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) throw Error(path.string() + ": " + error.message());
  if (!fs::exists(status)) {
    throw Error(path.string() + ": no such file or directory (expected a tokenizer file or a model directory)");
  }
  if (fs::is_directory(status)) return load_tokenizer_directory(path);
  return load_tokenizer_file(path);
}

}  // namespace attn
