// What `attn serve` is started with.
#pragma once

#include <cstddef>
#include <string>

#include "attn/cache_type.h"

namespace attn::server {

struct ServerOptions {
  std::string model_path;
  std::string chat_template;  // a .jinja file instead of the model's template; empty: the model's
  std::string model_name;     // the id /v1/models lists and requests must name; empty: the model directory's name
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (the one chosen is printed)
  int parallel = 4;             // sequences decoded together (slots)
  int context_length = 0;       // per slot; 0: the model's
  int max_queue = 32;           // requests waiting for a slot before 503
  size_t max_body_bytes = 1 << 20;
  std::string api_key;          // empty: no authentication
  int prefill_chunk = 64;       // prompt tokens a newcomer prefills between two decode steps
  CacheType cache_type_k = CacheType::F32;  // the slots' KV cache (--cache-type-k / -v)
  CacheType cache_type_v = CacheType::F32;
};

}  // namespace attn::server
