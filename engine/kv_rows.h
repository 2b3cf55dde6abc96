// How one cached key or value row (head_dim values) is stored in each
// CacheType. q8_0 follows ggml's block_q8_0 -- per block of 32 values an f16
// scale d = max|x| / 127 then 32 int8 q = round(x / d) -- except that a head
// dimension that is not a multiple of 32 ends in a shorter block (llama.cpp
// refuses those; small models such as stories260K have head_dim 8).
// Rows are written here, once per position, by one scalar routine (so every
// kernel table sees the same bytes); the attention kernels read them natively.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attn/cache_type.h"

namespace attn {

inline constexpr int kQ8BlockValues = 32;

// Bytes of one row of `values` values.
int64_t cache_row_bytes(CacheType type, int64_t values);
void encode_cache_row(CacheType type, const float* x, int64_t values, std::byte* row);
void decode_cache_row(CacheType type, const std::byte* row, int64_t values, float* x);

}  // namespace attn
