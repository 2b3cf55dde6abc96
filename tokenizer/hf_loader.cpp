// load_hf_tokenizer: finds the tokenizer files of a directory and builds
// the pipeline, turning every problem into an attn::Error naming the file.
#include <system_error>

#include "attn/error.h"
#include "tokenizer/hf_legacy_files.h"
#include "tokenizer/hf_tokenizer.h"

namespace attn {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

// The tokenizer.json document for the file(s) `path` names.
hf::Json tokenizer_document(const fs::path& path, const hf::TokenizerConfig& config) {
  const fs::path dir = path.parent_path();
  if (path.filename() == "vocab.txt") return hf::bert_tokenizer_json(path, config);
  if (path.filename() == "vocab.json") {
    if (!is_file(dir / "merges.txt")) throw Error(path.string() + ": merges.txt is missing beside vocab.json");
    return hf::gpt2_tokenizer_json(path, dir / "merges.txt", config);
  }
  return read_json_file(path);
}

fs::path find_tokenizer_file(const fs::path& dir) {
  for (const char* name : {"tokenizer.json", "vocab.json", "vocab.txt"}) {
    if (is_file(dir / name)) return dir / name;
  }
  throw Error(dir.string() + ": no Hugging Face tokenizer found (looked for tokenizer.json, vocab.json + merges.txt, "
                             "vocab.txt)");
}

}  // namespace

std::shared_ptr<const Tokenizer> load_hf_tokenizer(const fs::path& directory_or_file) {
  std::error_code error;
  const bool is_dir = fs::is_directory(directory_or_file, error);
  if (!is_dir && !is_file(directory_or_file)) throw Error(directory_or_file.string() + ": no such file or directory");
  const fs::path file = is_dir ? find_tokenizer_file(directory_or_file) : directory_or_file;
  const hf::TokenizerConfig config = hf::read_tokenizer_config(file.parent_path());
  try {
    return std::make_shared<hf::HfTokenizer>(tokenizer_document(file, config), config);
  } catch (const hf::Json::exception& e) {
    throw Error(file.string() + ": malformed tokenizer (" + e.what() + ")");
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.starts_with(file.string())) throw;
    throw Error(file.string() + ": " + message);
  }
}

}  // namespace attn
