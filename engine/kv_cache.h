// A session's KV cache: per attention layer, the keys and values of every
// position so far. Attention ops reserve their layer when a session is
// created (Op::prepare) and append/read it while decoding; packed steps
// leave it alone.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

// One attention layer's cache: keys and values laid out [kv_head][position][head_dim]
// so that attending over a head streams contiguous memory.
struct KvCacheLayer {
  int kv_heads = 0;
  int head_dim = 0;
  int capacity = 0;  // positions
  std::vector<float> keys, values;
  float* key(int head, int position) { return keys.data() + (static_cast<int64_t>(head) * capacity + position) * head_dim; }
  float* value(int head, int position) { return values.data() + (static_cast<int64_t>(head) * capacity + position) * head_dim; }
};

class KvCache {
 public:
  // Slots are numbered by the graph builder, one per attention layer.
  void add_layer(int slot, int kv_heads, int head_dim, int capacity);
  KvCacheLayer& layer(int slot) { return layers_[slot]; }
  int64_t bytes() const;
  // Copies the first `positions` positions of every layer of `other` (a
  // cache of the same graph): beam search forking a hypothesis.
  void copy_prefix(const KvCache& other, int positions);

 private:
  std::vector<KvCacheLayer> layers_;
};

// What cross-attention reads in an encoder-decoder model: one source
// sentence's keys and values for every decoder layer (by cross-attention
// slot, capacity = the source's length). Computed once when the source is
// encoded, then shared read-only by every session decoding it (the beams).
struct CrossAttentionMemory {
  int source_length = 0;
  std::vector<KvCacheLayer> layers;
};

}  // namespace attn
