// --cache-type-k / --cache-type-v (llama.cpp's, and its -ctk / -ctv, see
// llama_cpp_spellings): what the KV cache of every session a command opens
// stores.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "attn/attn.h"

namespace attn::cli {

struct CacheOptions {
  std::string key = "f32", value = "f32";

  void add_to(CLI::App& command) {
    const auto check = CLI::Validator(
        [](std::string& name) -> std::string {
          return parse_cache_type(name) ? "" : "'" + name + "' is not a cache type: must be one of f32, f16, bf16, q8_0";
        },
        "f32|f16|bf16|q8_0");
    command.add_option("--cache-type-k", key, "KV cache type of keys (-ctk): f32, f16, bf16 or q8_0")
        ->default_val("f32")->check(check);
    command.add_option("--cache-type-v", value, "KV cache type of values (-ctv): f32, f16, bf16 or q8_0")
        ->default_val("f32")->check(check);
  }

  SessionOptions session(int context_length = 0) const {
    return SessionOptions{.context_length = context_length, .cache_type_k = *parse_cache_type(key),
                          .cache_type_v = *parse_cache_type(value)};
  }
};

}  // namespace attn::cli
