#include "engine/ops/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/kv_rows.h"
#include "engine/parallel.h"
#include "engine/session_state.h"

namespace attn {
namespace {

// Attention over the cache reads it from memory (the weights streamed
// since have evicted it), where a Linear's multiply-adds run on cached
// activations: its work counts this many times for the parallel threshold,
// so decoding splits the heads over the threads from about a dozen cached
// positions on (2-thread tg64: 1.03-1.04x; 8 and 32 measured the same).
constexpr int64_t kCacheReadFactor = 8;

int64_t head_scratch_floats(int head_dim) { return (head_dim + 15) / 16 * 16; }

SessionState& cache_state(const RunContext& context, const SequenceSpan& sequence) {
  return sequence.cache_owner ? *sequence.cache_owner : context.state;
}

RopeFrequencies frequencies(const AttentionConfig& config) {
  return config.rope_frequencies ? *config.rope_frequencies : RopeFrequencies::standard(config.rope_theta, config.head_dim);
}

// LongRoPE picks its table by the length of the sequence so far, as
// transformers does for each forward pass (what is cached stays as it was).
bool long_step(const std::optional<Rotary>& rotary, const SequenceSpan& sequence) {
  return rotary && rotary->uses_long(sequence.start_position + static_cast<int>(sequence.rows));
}

}  // namespace

AttentionOp::AttentionOp(const AttentionConfig& config)
    : config_(config), scale_(config.scale > 0 ? config.scale : 1.f / std::sqrt(static_cast<float>(config.head_dim))) {
  if (config.rope) rotary_.emplace(config.head_dim, frequencies(config), *config.rope);
}

void AttentionOp::prepare(SessionState& state, int context_length) const {
  if (config_.causal) {
    state.kv_cache().add_layer(config_.cache_slot, config_.num_kv_heads, config_.head_dim, config_.sliding_window,
                               context_length);
  }
  // Per thread: the rotated query (the kernel's online softmax keeps no scores).
  state.require_thread_scratch(head_scratch_floats(config_.head_dim));
}

void AttentionOp::append_to_cache(const RunContext& context, std::span<const SequenceSpan> parts,
                                  const SequenceSpan* whole, const ActivationView& k, const ActivationView& v) const {
  const int d = config_.head_dim;
  float* key = context.state.step_buffer(d);  // rotated before it is stored
  for (const SequenceSpan& sequence : parts) {
    KvCacheLayer& cache = cache_state(context, sequence).kv_cache().layer(config_.cache_slot);
    const bool long_factors = long_step(rotary_, whole ? *whole : sequence);
    for (int64_t i = 0; i < sequence.rows; ++i) {
      const int64_t r = sequence.first_row + i;
      const int position = sequence.start_position + static_cast<int>(i);
      cache.reserve(position);
      for (int h = 0; h < config_.num_kv_heads; ++h) {
        std::memcpy(key, k.row(r) + h * d, d * sizeof(float));
        if (rotary_) rotary_->apply(key, position, long_factors);
        cache.store(h, position, key, v.row(r) + h * d);
      }
    }
  }
}

void AttentionOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                      const ActivationView& output) const {
  if (context.packed) {
    run_packed(context, inputs, output);
  } else {
    run_causal(context, inputs, output);
  }
}

template <typename Runs>
void AttentionOp::attend(float* query, int head, int query_position, int first, int last, Runs runs,
                         float* out) const {
  const auto& k = kernels::active();
  const int d = config_.head_dim;
  k.scale(query, scale_, d);
  std::memset(out, 0, d * sizeof(float));
  kernels::OnlineSoftmax softmax{.acc = out};
  // T5's learned bias per (head, distance), added to each score; the runs
  // come in position order, so `position` is the first of each run.
  thread_local std::vector<float> bias;
  int position = first;
  runs(first, last, [&](int count, const kernels::CachedRows& keys, const kernels::CachedRows& values) {
    const float* run_bias = nullptr;
    if (const auto& relative = config_.relative_bias) {
      bias.resize(count);
      for (int j = 0; j < count; ++j) bias[j] = (*relative)(head, position + j, query_position);
      run_bias = bias.data();
    }
    k.attention.attend(query, d, keys, values, count, run_bias, config_.logit_softcap, softmax);
    position += count;
  });
  k.scale(out, 1.f / softmax.sum, d);
}

// A sliding-window layer whose cache is a ring takes a long step in chunks
// that fit the ring beside the window: append a chunk, attend to it, go on.
void AttentionOp::run_causal(const RunContext& context, std::span<const ActivationView> inputs,
                             const ActivationView& output) const {
  const auto sequences = context.sequences;
  const auto step_rows = [&](const SequenceSpan& s) {
    return cache_state(context, s).kv_cache().layer(config_.cache_slot).step_rows();
  };
  if (std::all_of(sequences.begin(), sequences.end(), [&](const SequenceSpan& s) { return s.rows <= step_rows(s); })) {
    append_to_cache(context, sequences, nullptr, inputs[1], inputs[2]);
    attend_cached(context, sequences, nullptr, inputs[0], output);
    return;
  }
  for (const SequenceSpan& sequence : sequences) {
    const int64_t step = step_rows(sequence);
    for (int64_t offset = 0; offset < sequence.rows; offset += step) {
      const SequenceSpan part{sequence.first_row + offset, std::min(step, sequence.rows - offset),
                              sequence.start_position + static_cast<int>(offset), sequence.cache_owner};
      append_to_cache(context, std::span(&part, 1), &sequence, inputs[1], inputs[2]);
      attend_cached(context, std::span(&part, 1), &sequence, inputs[0], output);
    }
  }
}

void AttentionOp::attend_cached(const RunContext& context, std::span<const SequenceSpan> parts,
                                const SequenceSpan* whole, const ActivationView& q, const ActivationView& output) const {
  const int d = config_.head_dim;
  const int group = config_.num_heads / config_.num_kv_heads;
  // The parts cover rows [first_row, end_row) in order.
  const int64_t first_row = parts.front().first_row, rows = parts.back().first_row + parts.back().rows - first_row;
  const int64_t tasks = rows * config_.num_heads;
  int64_t attended = 0;  // cached positions read, for the parallel threshold
  for (const SequenceSpan& s : parts) {
    attended += s.rows * (s.start_position + s.rows);
    cache_state(context, s).prepare_threads(omp_get_max_threads());
  }

  // One (row, head) pair per task: each writes its own slice of the output,
  // so the result does not depend on how tasks are spread over threads.
#pragma omp parallel for schedule(static) if (worth_parallel(kCacheReadFactor * tasks / rows * attended * d))
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t r = first_row + task / config_.num_heads;
    const int h = static_cast<int>(task % config_.num_heads);
    const int kv_head = h / group;
    const SequenceSpan& sequence = parts.size() == 1 ? parts.front()
        : *std::upper_bound(parts.begin(), parts.end(), r,
                            [](int64_t row, const SequenceSpan& s) { return row < s.first_row + s.rows; });
    SessionState& state = cache_state(context, sequence);
    KvCacheLayer& cache = state.kv_cache().layer(config_.cache_slot);
    const int position = sequence.start_position + static_cast<int>(r - sequence.first_row);
    const int first = config_.sliding_window > 0 ? std::max(0, position - config_.sliding_window + 1) : 0;

    float* query = state.thread_scratch(omp_get_thread_num());
    std::memcpy(query, q.row(r) + h * d, d * sizeof(float));
    if (rotary_) rotary_->apply(query, position, long_step(rotary_, whole ? *whole : sequence));
    const auto runs = [&](int from, int to, const auto& f) {
      cache.for_each_run(kv_head, from, to, [&](int, int count, const kernels::CachedRows& keys,
                                                const kernels::CachedRows& values) { f(count, keys, values); });
    };
    attend(query, h, position, first, position, runs, output.row(r) + h * d);
  }
}

ActivationView AttentionOp::positioned_keys(const RunContext& context, const ActivationView& k) const {
  if (!rotary_) return k;
  const ActivationView rotated{context.state.step_buffer(k.rows * k.width), k.rows, k.width};
  std::memcpy(rotated.data, k.data, k.rows * k.width * sizeof(float));
  for (const SequenceSpan& sequence : context.sequences) {
    const bool long_factors = long_step(rotary_, sequence);
    for (int64_t i = 0; i < sequence.rows; ++i) {
      const int position = sequence.start_position + static_cast<int>(i);
      float* row = rotated.row(sequence.first_row + i);
      for (int h = 0; h < config_.num_kv_heads; ++h) rotary_->apply(row + h * config_.head_dim, position, long_factors);
    }
  }
  return rotated;
}

// A packed step's keys and values as `head`'s rows from `row` on, in the
// session's cache types: f32 ones straight from the activations, others
// stored (kv_rows.h) into the session's buffer first, so scoring a text in
// packed batches sees what decoding it through the cache would see.
class AttentionOp::PackedRows {
 public:
  PackedRows(const RunContext& context, const ActivationView& keys, const ActivationView& values, int heads, int d)
      : heads_(heads), d_(d), key_type_(context.state.kv_cache().key_type()),
        value_type_(context.state.kv_cache().value_type()), keys_(keys), values_(values) {
    key_bytes_ = cache_row_bytes(key_type_, d);
    value_bytes_ = cache_row_bytes(value_type_, d);
    if (key_type_ == CacheType::F32 && value_type_ == CacheType::F32) return;
    const int64_t rows = keys.rows * heads;
    stored_ = context.state.packed_kv_buffer(rows * (key_bytes_ + value_bytes_));
    for (int64_t r = 0; r < keys.rows; ++r) {
      for (int h = 0; h < heads; ++h) {
        const int64_t at = r * heads + h;
        encode_cache_row(key_type_, keys.row(r) + h * d, d, stored_ + at * key_bytes_);
        encode_cache_row(value_type_, values.row(r) + h * d, d, stored_ + rows * key_bytes_ + at * value_bytes_);
      }
    }
  }
  kernels::CachedRows keys(int64_t row, int head) const { return rows(keys_, 0, key_type_, key_bytes_, row, head); }
  kernels::CachedRows values(int64_t row, int head) const {
    return rows(values_, keys_.rows * heads_ * key_bytes_, value_type_, value_bytes_, row, head);
  }

 private:
  kernels::CachedRows rows(const ActivationView& x, int64_t offset, CacheType type, int64_t bytes, int64_t row,
                           int head) const {
    if (!stored_) {
      return {reinterpret_cast<const std::byte*>(x.row(row) + head * d_), static_cast<int64_t>(x.width * sizeof(float)),
              CacheType::F32};
    }
    return {stored_ + offset + (row * heads_ + head) * bytes, heads_ * bytes, type};
  }

  int heads_, d_;
  CacheType key_type_, value_type_;
  const ActivationView &keys_, &values_;
  int64_t key_bytes_, value_bytes_;
  std::byte* stored_ = nullptr;
};

void AttentionOp::run_packed(const RunContext& context, std::span<const ActivationView> inputs,
                             const ActivationView& output) const {
  const ActivationView& q = inputs[0];
  const ActivationView keys = positioned_keys(context, inputs[1]);
  const ActivationView& values = inputs[2];
  const int d = config_.head_dim;
  const PackedRows stored(context, keys, values, config_.num_kv_heads, d);
  const int group = config_.num_heads / config_.num_kv_heads;
  const int64_t tasks = q.rows * config_.num_heads;

  // Sequences cover the rows in order, so a binary search finds a row's own.
  const std::span<const SequenceSpan> sequences = context.sequences;
  context.state.prepare_threads(omp_get_max_threads());
#pragma omp parallel for schedule(static) if (worth_parallel(tasks * q.rows * d))
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t r = task / config_.num_heads;
    const int h = static_cast<int>(task % config_.num_heads);
    const int kv_head = h / group;
    const SequenceSpan& sequence = *std::upper_bound(sequences.begin(), sequences.end(), r,
        [](int64_t row, const SequenceSpan& s) { return row < s.first_row + s.rows; });
    const int index = static_cast<int>(r - sequence.first_row);  // the row's place in its sequence

    float* query = context.state.thread_scratch(omp_get_thread_num());
    std::memcpy(query, q.row(r) + h * d, d * sizeof(float));
    if (rotary_) rotary_->apply(query, sequence.start_position + index, long_step(rotary_, sequence));

    const int last = config_.causal ? index : static_cast<int>(sequence.rows) - 1;
    const int first = config_.sliding_window > 0 ? std::max(0, index - config_.sliding_window + 1) : 0;
    const auto runs = [&](int from, int to, const auto& f) {
      f(to - from + 1, stored.keys(sequence.first_row + from, kv_head), stored.values(sequence.first_row + from, kv_head));
    };
    attend(query, h, index, first, last, runs, output.row(r) + h * d);
  }
}

}  // namespace attn
