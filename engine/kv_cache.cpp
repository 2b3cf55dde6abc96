#include "engine/kv_cache.h"

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

int64_t KvCache::bytes() const {
  int64_t bytes = 0;
  for (const KvCacheLayer& layer : layers_) bytes += static_cast<int64_t>(layer.keys.size() + layer.values.size()) * 4;
  return bytes;
}

}  // namespace attn
