#include "engine/kv_cache.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
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

void KvCacheLayer::copy_prefix(const KvCacheLayer& from, int positions) {
  // A ring (either side) holds the last of its size; sessions of different
  // context lengths may differ in which layers are rings, never in a ring's size.
  int first = 0;
  if (ring_) first = std::max(first, positions - page_positions_);
  if (from.ring_) first = std::max(first, positions - from.page_positions_);
  const size_t bytes = static_cast<size_t>(head_dim_) * sizeof(float);
  for (int p = first; p < positions; ++p) {
    reserve(p);
    for (int h = 0; h < kv_heads_; ++h) {
      std::memcpy(key(h, p), from.slot(from.keys_, h, p), bytes);
      std::memcpy(value(h, p), from.slot(from.values_, h, p), bytes);
    }
  }
}

void KvCache::copy_prefix(const KvCache& other, int positions) {
  for (size_t slot = 0; slot < layers_.size(); ++slot) layers_[slot].copy_prefix(other.layers_.at(slot), positions);
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
