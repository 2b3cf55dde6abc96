// The other way from gguf_tokenizer.h, for writing GGUF files: a model's
// tokenizer as the tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py
// writes for it.
#pragma once

#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace attn {

// `tokenizer`: a tokenizer.model or tokenizer.json, or the directory holding
// them (a tokenizer.model wins, as for llama.cpp's Llama conversion).
// - SentencePiece: model "llama", the pieces, scores and token types
//   (normal, unknown, control, unused, byte), padded to `vocab_rows` with
//   unused [PADn] pieces, the unknown id, add_bos (default true).
// - byte-level BPE tokenizer.json: model "gpt2", the pre-tokenizer's name,
//   vocabulary and added tokens (control when special, else user-defined),
//   padded likewise, merges, add_bos when its post-processor adds one.
// Either way add_bos_token / add_eos_token and chat_template come from a
// tokenizer_config.json beside it. Special-token ids are the model
// config's, not added here. Throws attn::Error naming the file for any
// other tokenizer (WordPiece, Unigram tokenizer.json, ...).
nlohmann::json gguf_tokenizer_metadata(const std::filesystem::path& tokenizer, int64_t vocab_rows);

}  // namespace attn
