#include "engine/kv_cache.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "engine/kv_rows.h"

namespace attn {

namespace {

int ring_positions(int window) { return window + std::min(window, KvCacheLayer::kRingChunk) - 1; }

}  // namespace

KvCacheLayer::KvCacheLayer(int kv_heads, int head_dim, int window, int context_length, CacheType key_type,
                           CacheType value_type)
    : kv_heads_(kv_heads), head_dim_(head_dim), window_(window),
      ring_(window > 0 && ring_positions(window) < context_length),
      page_positions_(ring_ ? ring_positions(window) : kPagePositions),
      key_type_(key_type), value_type_(value_type),
      key_row_bytes_(cache_row_bytes(key_type, head_dim)), value_row_bytes_(cache_row_bytes(value_type, head_dim)) {}

void KvCacheLayer::reserve(int position) {
  const size_t pages = ring_ ? 1 : static_cast<size_t>(position / page_positions_) + 1;
  const size_t rows = static_cast<size_t>(kv_heads_) * page_positions_;
  while (keys_.size() < pages) {
    keys_.push_back(std::make_unique_for_overwrite<std::byte[]>(rows * key_row_bytes_));
    values_.push_back(std::make_unique_for_overwrite<std::byte[]>(rows * value_row_bytes_));
  }
}

void KvCacheLayer::store(int head, int position, const float* key, const float* value) {
  encode_cache_row(key_type_, key, head_dim_, slot(keys_, key_row_bytes_, head, position));
  encode_cache_row(value_type_, value, head_dim_, slot(values_, value_row_bytes_, head, position));
}

int64_t KvCacheLayer::bytes() const {
  return static_cast<int64_t>(kv_heads_) * page_positions_ *
         (static_cast<int64_t>(keys_.size()) * key_row_bytes_ + static_cast<int64_t>(values_.size()) * value_row_bytes_);
}

void KvCache::add_layer(int slot, int kv_heads, int head_dim, int window, int context_length) {
  while (static_cast<int>(layers_.size()) <= slot) layers_.emplace_back(0, 0, 0, 0);
  layers_[slot] = KvCacheLayer(kv_heads, head_dim, window, context_length, key_type_, value_type_);
}

void KvCacheLayer::copy_prefix(const KvCacheLayer& from, int positions) {
  // A ring (either side) holds the last of its size; sessions of different
  // context lengths may differ in which layers are rings, never in a ring's
  // size. Session::copy_from refuses caches of other types.
  int first = 0;
  if (ring_) first = std::max(first, positions - page_positions_);
  if (from.ring_) first = std::max(first, positions - from.page_positions_);
  for (int p = first; p < positions; ++p) {
    reserve(p);
    for (int h = 0; h < kv_heads_; ++h) {
      std::memcpy(slot(keys_, key_row_bytes_, h, p), from.slot(from.keys_, key_row_bytes_, h, p), key_row_bytes_);
      std::memcpy(slot(values_, value_row_bytes_, h, p), from.slot(from.values_, value_row_bytes_, h, p),
                  value_row_bytes_);
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
