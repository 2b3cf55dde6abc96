// A session's KV cache: per attention layer, the keys and values of the
// positions so far. Attention ops declare their layer when a session is
// created (Op::prepare) and append/read it while decoding; packed steps
// leave it alone. Memory follows the sequence, not the context length: a
// layer grows a page at a time, and a sliding-window layer keeps only its
// window (a ring), so a long-context model costs what it holds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "engine/kernels/attention.h"

namespace attn {

// One attention layer's cache. Within a page, keys and values are laid out
// [kv_head][position][row], a row being head_dim values in the layer's
// CacheType (kv_rows.h), so attending over a head streams contiguous memory;
// pages are added as the sequence grows and never move.
class KvCacheLayer {
 public:
  static constexpr int kPagePositions = 256;
  // Rows a sliding-window layer takes in before attending to them (at most
  // its window): its ring holds the window plus these, so a long prefill
  // runs in chunks of them.
  static constexpr int kRingChunk = 64;

  // window > 0 with context_length above window + chunk: a ring of window +
  // chunk - 1 positions; else pages up to context_length.
  KvCacheLayer(int kv_heads, int head_dim, int window, int context_length, CacheType key_type = CacheType::F32,
               CacheType value_type = CacheType::F32);

  // Makes room for position `position` (append positions in order; called
  // outside parallel regions).
  void reserve(int position);
  // Stores head_dim floats of key and value at (head, position), converted to the layer's types.
  void store(int head, int position, const float* key, const float* value);
  // Copies positions [0, positions) of `from` (a layer of the same graph) as
  // far as a ring keeps them.
  void copy_prefix(const KvCacheLayer& from, int positions);

  // f(position, count, keys, values) for each stretch of positions
  // [first, last] of `head` stored contiguously, as CachedRows.
  template <typename F>
  void for_each_run(int head, int first, int last, F&& f) const {
    for (int p = first; p <= last;) {
      const int s = ring_ ? p % page_positions_ : p;
      const int page = s / page_positions_, offset = s % page_positions_;
      const int count = std::min(last - p + 1, page_positions_ - offset);
      const int64_t row = static_cast<int64_t>(head) * page_positions_ + offset;
      f(p, count, kernels::CachedRows{keys_[page].get() + row * key_row_bytes_, key_row_bytes_, key_type_},
        kernels::CachedRows{values_[page].get() + row * value_row_bytes_, value_row_bytes_, value_type_});
      p += count;
    }
  }

  // New positions a step may add before attending to them.
  int step_rows() const { return ring_ ? page_positions_ - window_ + 1 : std::numeric_limits<int>::max(); }
  // Whether the sequence, now `length` long, can continue from `position`
  // (a ring has overwritten what lies more than its size back).
  bool can_resume(int length, int position) const {
    return !ring_ || position >= length - page_positions_ + window_ - 1;
  }
  bool ring() const { return ring_; }
  int64_t bytes() const;

 private:
  using Pages = std::vector<std::unique_ptr<std::byte[]>>;
  std::byte* slot(const Pages& pages, int64_t row_bytes, int head, int position) const {
    const int s = ring_ ? position % page_positions_ : position;
    return pages[s / page_positions_].get() +
           (static_cast<int64_t>(head) * page_positions_ + s % page_positions_) * row_bytes;
  }

  int kv_heads_, head_dim_, window_;
  bool ring_;
  int page_positions_;  // a ring: its whole size, in one page
  CacheType key_type_, value_type_;
  int64_t key_row_bytes_, value_row_bytes_;
  Pages keys_, values_;
};

class KvCache {
 public:
  // The types layers added from now on store (the session's options).
  void set_types(CacheType key, CacheType value) {
    key_type_ = key;
    value_type_ = value;
  }
  // Slots are numbered by the graph builder, one per attention layer.
  void add_layer(int slot, int kv_heads, int head_dim, int window, int context_length);
  KvCacheLayer& layer(int slot) { return layers_[slot]; }
  CacheType key_type() const { return key_type_; }
  CacheType value_type() const { return value_type_; }
  int64_t bytes() const;
  bool can_resume(int length, int position) const;
  // Copies the first `positions` positions of every layer of `other` (a
  // cache of the same graph): beam search forking a hypothesis.
  void copy_prefix(const KvCache& other, int positions);

 private:
  std::vector<KvCacheLayer> layers_;
  CacheType key_type_ = CacheType::F32, value_type_ = CacheType::F32;
};

// What cross-attention reads in an encoder-decoder model: one source
// sentence's keys and values for every decoder layer (by cross-attention
// slot, capacity = the source's length). Computed once when the source is
// encoded, then shared read-only by every session decoding it (the beams).
struct CrossAttentionLayer {
  int kv_heads = 0;
  int head_dim = 0;
  int capacity = 0;  // positions
  std::vector<float> keys, values;  // [kv_head][position][head_dim]
  float* key(int head, int position) { return keys.data() + (static_cast<int64_t>(head) * capacity + position) * head_dim; }
  float* value(int head, int position) { return values.data() + (static_cast<int64_t>(head) * capacity + position) * head_dim; }
};
struct CrossAttentionMemory {
  int source_length = 0;
  std::vector<CrossAttentionLayer> layers;
};

}  // namespace attn
