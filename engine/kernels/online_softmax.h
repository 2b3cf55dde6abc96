// The tiled online softmax behind AttentionKernels::attend, shared by every
// instruction set: `Ops` supplies the per-type row kernels (dot of the query
// with a stored key, value rows added into the accumulator), scaling and
// exp. Included only by the kernel files, each with its own Ops type.
#pragma once

#include <algorithm>
#include <cmath>

#include "engine/kernels/attention.h"

namespace attn::kernels::online_softmax {

inline constexpr int64_t kTilePositions = 32;

template <typename Ops, CacheType Key, CacheType Value>
void attend_tiles(const float* query, int64_t d, CachedRows keys, CachedRows values, int64_t count,
                  const float* bias, float softcap, OnlineSoftmax& state) {
  float scores[kTilePositions];
  for (int64_t start = 0; start < count; start += kTilePositions) {
    const int64_t n = std::min(kTilePositions, count - start);
    const std::byte* k = keys.data + start * keys.stride;
    const std::byte* v = values.data + start * values.stride;
    float tile_max = state.max;
    for (int64_t j = 0; j < n; ++j) {
      float score = Ops::template dot<Key>(query, k + j * keys.stride, d);
      if (bias) score += bias[start + j];
      if (softcap > 0) score = softcap * std::tanh(score / softcap);
      scores[j] = score;
      tile_max = std::max(tile_max, score);
    }
    if (tile_max > state.max) {  // rescale what was summed against the old maximum
      const float factor = std::exp(state.max - tile_max);
      Ops::scale(state.acc, factor, d);
      state.sum *= factor;
      state.max = tile_max;
    }
    state.sum += Ops::exp_shifted(scores, n, state.max);
    for (int64_t j = 0; j < n; ++j) Ops::template add<Value>(scores[j], v + j * values.stride, state.acc, d);
  }
}

template <typename Ops, CacheType Key>
auto for_value(CacheType value) {
  switch (value) {
    case CacheType::F16: return &attend_tiles<Ops, Key, CacheType::F16>;
    case CacheType::BF16: return &attend_tiles<Ops, Key, CacheType::BF16>;
    case CacheType::Q8_0: return &attend_tiles<Ops, Key, CacheType::Q8_0>;
    case CacheType::F32: break;
  }
  return &attend_tiles<Ops, Key, CacheType::F32>;
}

// AttentionKernels::attend for an instruction set: one instantiation per
// (key type, value type), picked per call.
template <typename Ops>
void attend(const float* query, int64_t d, CachedRows keys, CachedRows values, int64_t count, const float* bias,
            float softcap, OnlineSoftmax& state) {
  switch (keys.type) {
    case CacheType::F32: return for_value<Ops, CacheType::F32>(values.type)(query, d, keys, values, count, bias, softcap, state);
    case CacheType::F16: return for_value<Ops, CacheType::F16>(values.type)(query, d, keys, values, count, bias, softcap, state);
    case CacheType::BF16: return for_value<Ops, CacheType::BF16>(values.type)(query, d, keys, values, count, bias, softcap, state);
    case CacheType::Q8_0: return for_value<Ops, CacheType::Q8_0>(values.type)(query, d, keys, values, count, bias, softcap, state);
  }
}

}  // namespace attn::kernels::online_softmax
