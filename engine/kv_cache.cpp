#include "engine/kv_cache.h"

#include <cstddef>
#include <memory>

namespace attn {

namespace {

int ring_positions(int window) { return window + std::min(window, KvCacheLayer::kRingChunk) - 1; }

}  // namespace

KvCacheLayer::KvCacheLayer(int kv_heads, int head_dim, int window, int context_length)
    : kv_heads_(kv_heads), head_dim_(head_dim), window_(window),
      ring_(window > 0 && ring_positions(window) < context_length),
      page_positions_(ring_ ? ring_positions(window) : kPagePositions) {}

void KvCacheLayer::reserve(int position) {
  const size_t pages = ring_ ? 1 : static_cast<size_t>(position / page_positions_) + 1;
  const size_t floats = static_cast<size_t>(kv_heads_) * page_positions_ * head_dim_;
  while (keys_.size() < pages) {
    keys_.push_back(std::make_unique_for_overwrite<float[]>(floats));
    values_.push_back(std::make_unique_for_overwrite<float[]>(floats));
  }
}

int64_t KvCacheLayer::bytes() const {
  return static_cast<int64_t>(keys_.size() + values_.size()) * kv_heads_ * page_positions_ * head_dim_ *
         static_cast<int64_t>(sizeof(float));
}

void KvCache::add_layer(int slot, int kv_heads, int head_dim, int window, int context_length) {
  while (static_cast<int>(layers_.size()) <= slot) layers_.emplace_back(0, 0, 0, 0);
  layers_[slot] = KvCacheLayer(kv_heads, head_dim, window, context_length);
}

int64_t KvCache::bytes() const {
  int64_t bytes = 0;
  for (const KvCacheLayer& layer : layers_) bytes += layer.bytes();
  return bytes;
}

bool KvCache::can_resume(int length, int position) const {
  return std::all_of(layers_.begin(), layers_.end(), [&](const KvCacheLayer& l) { return l.can_resume(length, position); });
}

}  // namespace attn
