// Attention of one query over cached keys and values, read in their stored
// type (kv_rows.h) and streamed in tiles with an online softmax
// (flash-attention style): a running maximum and sum rescale what has been
// accumulated, so each key and value row is read once, nothing is
// dequantised ahead, and no score array grows with the context. Decoding at
// long contexts is then bound by reading the cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "attn/cache_type.h"

namespace attn::kernels {

// `count` rows, row i at data + i * stride bytes.
struct CachedRows {
  const std::byte* data;
  int64_t stride;
  CacheType type;
};

// The softmax so far of one query: out = acc / sum, scores shifted by max.
struct OnlineSoftmax {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0;
  float* acc;  // head_dim floats, zeroed by the caller
};

struct AttentionKernels {
  // Folds `count` positions into `state`: score = query . key (the query
  // comes pre-scaled) + bias[i] when bias is given, capped as
  // cap * tanh(score / cap) when softcap > 0, then the values weighted by
  // exp(score - max).
  void (*attend)(const float* query, int64_t head_dim, CachedRows keys, CachedRows values, int64_t count,
                 const float* bias, float softcap, OnlineSoftmax& state);
};

}  // namespace attn::kernels
