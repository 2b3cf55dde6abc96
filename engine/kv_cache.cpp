#include "engine/kv_cache.h"

#include <algorithm>
#include <cstddef>

namespace attn {

void KvCache::add_layer(int slot, int kv_heads, int head_dim, int capacity) {
  if (slot >= static_cast<int>(layers_.size())) layers_.resize(slot + 1);
  KvCacheLayer& layer = layers_[slot];
  layer.kv_heads = kv_heads;
  layer.head_dim = head_dim;
  layer.capacity = capacity;
  const size_t floats = static_cast<size_t>(kv_heads) * capacity * head_dim;
  layer.keys.assign(floats, 0.f);
  layer.values.assign(floats, 0.f);
}

void KvCache::copy_prefix(const KvCache& other, int positions) {
  for (size_t slot = 0; slot < layers_.size(); ++slot) {
    KvCacheLayer& to = layers_[slot];
    const KvCacheLayer& from = other.layers_.at(slot);
    const int64_t floats = static_cast<int64_t>(positions) * to.head_dim;
    for (int h = 0; h < to.kv_heads; ++h) {  // the caches may differ in capacity (sessions' context lengths)
      const int64_t source = static_cast<int64_t>(h) * from.capacity * from.head_dim;
      const int64_t target = static_cast<int64_t>(h) * to.capacity * to.head_dim;
      std::copy_n(from.keys.begin() + source, floats, to.keys.begin() + target);
      std::copy_n(from.values.begin() + source, floats, to.values.begin() + target);
    }
  }
}

int64_t KvCache::bytes() const {
  int64_t bytes = 0;
  for (const KvCacheLayer& layer : layers_) bytes += static_cast<int64_t>(layer.keys.size() + layer.values.size()) * 4;
  return bytes;
}

}  // namespace attn
