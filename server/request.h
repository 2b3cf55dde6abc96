// A completion request (/v1/completions or /v1/chat/completions) checked and
// turned into what the scheduler runs, and an embeddings request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "server/served_model.h"

namespace attn::server {

struct CompletionRequest {
  bool chat = false;
  std::vector<TokenId> prompt;  // as `attn generate` (or `attn generate --messages`) tokenizes it
  // Sampling, max_new_tokens, stop strings and (chat) end-of-turn ids; no echo, max_length 0 (the context).
  GenerateOptions options;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  int top_logprobs = 0;
};

// A request body as JSON; anything else (bad syntax, a number too large for a
// double) is an ApiError (400).
nlohmann::json parse_request_body(std::string_view body);

// Throws ApiError (400) naming the field for anything wrong with the body:
// a missing or mistyped field, a value out of range, another model's name, a
// prompt the context cannot hold.
CompletionRequest parse_completion_request(const nlohmann::json& body, const ServedModel& served, bool chat);

struct EmbeddingRequest {
  std::vector<std::string> inputs;
  bool base64 = false;  // encoding_format "base64": little-endian float32 bytes
};

EmbeddingRequest parse_embedding_request(const nlohmann::json& body, const ServedModel& served);

}  // namespace attn::server
