#include "tokenizer/gguf_tokenizer_metadata.h"

#include <climits>
#include <map>

#include <sentencepiece_processor.h>

#include "attn/error.h"
#include "json/checked.h"
#include "tokenizer/gguf_tokenizer.h"
#include "tokenizer/piece_vocabulary.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum TokenType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// convert_hf_to_gguf.py pads the vocabulary to the embedding's rows with unused [PADn] tokens.
void pad_vocabulary(json& tokens, json& types, json* scores, int64_t vocab_rows) {
  for (int64_t i = static_cast<int64_t>(tokens.size()); i < vocab_rows; ++i) {
    tokens.push_back("[PAD" + std::to_string(i) + "]");
    types.push_back(kUnused);
    if (scores) scores->push_back(-1000.0);
  }
}

json sentencepiece_metadata(const fs::path& path, int64_t vocab_rows) {
  const auto processor = read_sentencepiece_model(path);
  json tokens = json::array(), scores = json::array(), types = json::array();
  int unknown = -1;
  for (int id = 0; id < processor->GetPieceSize(); ++id) {
    tokens.push_back(processor->IdToPiece(id));
    scores.push_back(static_cast<double>(processor->GetScore(id)));
    const int type = processor->IsUnknown(id) ? kUnknown
                     : processor->IsControl(id) ? kControl
                     : processor->IsUnused(id)  ? kUnused
                     : processor->IsByte(id)    ? kByte
                                                : kNormal;
    if (type == kUnknown && unknown < 0) unknown = id;
    types.push_back(type);
  }
  pad_vocabulary(tokens, types, &scores, vocab_rows);
  json metadata = {{"tokenizer.ggml.model", "llama"}, {"tokenizer.ggml.tokens", tokens},
                   {"tokenizer.ggml.scores", scores}, {"tokenizer.ggml.token_type", types},
                   {"tokenizer.ggml.add_bos_token", true}, {"tokenizer.ggml.add_eos_token", false}};
  if (unknown >= 0) metadata["tokenizer.ggml.unknown_token_id"] = unknown;
  return metadata;
}

json bpe_metadata(const fs::path& path, int64_t vocab_rows) {
  const json tokenizer = read_json_file(path);
  const json& model = tokenizer.contains("model") ? tokenizer["model"] : json();
  const std::optional<std::string> pre = gguf_pre_tokenizer_name(tokenizer);
  if (!model.is_object() || model.value("type", "") != "BPE" || !model.contains("vocab") || !model["vocab"].is_object() || !pre) {
    throw Error(path.string() + ": GGUF has no tokenizer for this tokenizer.json; attn writes byte-level BPE "
                "tokenizers (GPT-2, Llama 3, Qwen 2 pre-tokenizers) and SentencePiece tokenizer.model files");
  }
  std::map<int64_t, std::pair<std::string, int>> by_id;  // id -> text, token type
  for (const auto& [text, id] : model["vocab"].items()) by_id[require_json_integer(id, 0, INT32_MAX, path.string())] = {text, kNormal};
  for (const json& added : tokenizer.value("added_tokens", json::array())) {
    const int64_t id = require_json_integer(added.value("id", json()), 0, INT32_MAX, path.string() + ": added_tokens");
    by_id[id] = {added.value("content", ""), added.value("special", false) ? kControl : kUserDefined};
  }
  json tokens = json::array(), types = json::array();
  const int64_t count = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  for (int64_t id = 0; id < count; ++id) {
    const auto it = by_id.find(id);
    tokens.push_back(it == by_id.end() ? "[PAD" + std::to_string(id) + "]" : it->second.first);
    types.push_back(it == by_id.end() ? kUnused : it->second.second);
  }
  pad_vocabulary(tokens, types, nullptr, vocab_rows);
  json merges = json::array();
  for (const json& merge : model.value("merges", json::array())) {
    merges.push_back(merge.is_array() && merge.size() == 2 ? merge[0].get<std::string>() + " " + merge[1].get<std::string>()
                                                           : merge.get<std::string>());
  }
  const bool adds_bos = tokenizer.contains("post_processor") && tokenizer["post_processor"].dump().find("TemplateProcessing") != std::string::npos;
  return {{"tokenizer.ggml.model", "gpt2"}, {"tokenizer.ggml.pre", *pre}, {"tokenizer.ggml.tokens", tokens},
          {"tokenizer.ggml.token_type", types}, {"tokenizer.ggml.merges", merges},
          {"tokenizer.ggml.add_bos_token", adds_bos}};
}

}  // namespace

json gguf_tokenizer_metadata(const fs::path& tokenizer, int64_t vocab_rows) {
  std::error_code error;
  const bool directory = fs::is_directory(tokenizer, error);
  const fs::path dir = directory ? tokenizer : tokenizer.parent_path();
  const fs::path spm = directory ? dir / "tokenizer.model" : tokenizer.extension() == ".model" ? tokenizer : fs::path();
  const fs::path bpe = directory ? dir / "tokenizer.json" : tokenizer.extension() == ".json" ? tokenizer : fs::path();
  json metadata;
  if (!spm.empty() && fs::is_regular_file(spm, error)) {
    metadata = sentencepiece_metadata(spm, vocab_rows);
  } else if (!bpe.empty() && fs::is_regular_file(bpe, error)) {
    metadata = bpe_metadata(bpe, vocab_rows);
  } else {
    throw Error(tokenizer.string() + ": no tokenizer.model or tokenizer.json to write into the GGUF file");
  }
  const fs::path config_path = dir / "tokenizer_config.json";
  if (fs::is_regular_file(config_path, error)) {
    const json config = read_json_file(config_path);
    for (const char* key : {"add_bos_token", "add_eos_token"}) {
      if (config.contains(key) && config[key].is_boolean()) metadata[std::string("tokenizer.ggml.") + key] = config[key];
    }
    if (config.contains("chat_template") && config["chat_template"].is_string()) {
      metadata["tokenizer.chat_template"] = config["chat_template"];
    }
  }
  return metadata;
}

}  // namespace attn
