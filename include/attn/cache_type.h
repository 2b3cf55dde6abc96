// Element types of the KV cache (SessionOptions::cache_type_k/v, llama.cpp's
// --cache-type-k/-v): f32, f16, bf16, or q8_0 (ggml's block_q8_0: an f16
// scale and 32 int8 values per block, about 8.5 bits a value).
#pragma once

#include "attn/export.h"

#include <optional>
#include <string_view>

namespace attn ATTN_API {

enum class CacheType { F32, F16, BF16, Q8_0 };

std::string_view cache_type_name(CacheType type);                // "f32", "f16", "bf16", "q8_0"
std::optional<CacheType> parse_cache_type(std::string_view name);  // nullopt for anything else

}  // namespace attn
