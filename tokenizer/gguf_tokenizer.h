// Tokenizers from a GGUF file's tokenizer.* metadata, through the pipelines
// attn already has: `llama` (SentencePiece: pieces, scores, token types,
// byte fallback) becomes a SentencePiece ModelProto for libsentencepiece;
// `gpt2` (byte-level BPE, the pre-tokenizer named by tokenizer.ggml.pre) and
// `bert` (WordPiece) become the tokenizer.json a Hugging Face export holds.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "attn/tokenizer.h"

namespace attn {

// `metadata`: the tokenizer.* keys. Throws attn::Error naming `source` and
// the key when the metadata is missing, malformed or of a model attn lacks.
std::shared_ptr<const Tokenizer> tokenizer_from_gguf(const nlohmann::json& metadata, const std::string& source);

// The tokenizer.ggml.pre name of a tokenizer.json's byte-level pre-tokenizer
// (one whose splits are those of a pre-tokenizer tokenizer_from_gguf
// knows); nullopt for any other.
std::optional<std::string> gguf_pre_tokenizer_name(const nlohmann::json& tokenizer_json);

}  // namespace attn
