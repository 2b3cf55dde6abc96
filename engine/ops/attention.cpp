#include "engine/ops/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/parallel.h"
#include "engine/session_state.h"

namespace attn {
namespace {

int64_t head_scratch_floats(int head_dim) { return (head_dim + 15) / 16 * 16; }

SessionState& cache_state(const RunContext& context, const SequenceSpan& sequence) {
  return sequence.cache_owner ? *sequence.cache_owner : context.state;
}

}  // namespace


AttentionOp::AttentionOp(const AttentionConfig& config)
    : config_(config), scale_(1.f / std::sqrt(static_cast<float>(config.head_dim))) {
  if (config.rope) rotary_.emplace(config.head_dim, config.max_positions, config.rope_theta, *config.rope);
}

void AttentionOp::prepare(SessionState& state, int context_length) const {
  if (config_.causal) state.kv_cache().add_layer(config_.cache_slot, config_.num_kv_heads, config_.head_dim, context_length);
  // Per thread: the rotated query, then one score per cached position.
  state.require_thread_scratch(head_scratch_floats(config_.head_dim) + context_length);
}

void AttentionOp::append_to_cache(const RunContext& context, const ActivationView& k, const ActivationView& v) const {
  const int d = config_.head_dim;
  for (const SequenceSpan& sequence : context.sequences) {
    KvCacheLayer& cache = cache_state(context, sequence).kv_cache().layer(config_.cache_slot);
    for (int64_t i = 0; i < sequence.rows; ++i) {
      const int64_t r = sequence.first_row + i;
      const int position = sequence.start_position + static_cast<int>(i);
      for (int h = 0; h < config_.num_kv_heads; ++h) {
        float* key = cache.key(h, position);
        std::memcpy(key, k.row(r) + h * d, d * sizeof(float));
        if (rotary_) rotary_->apply(key, position);
        std::memcpy(cache.value(h, position), v.row(r) + h * d, d * sizeof(float));
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

void AttentionOp::run_causal(const RunContext& context, std::span<const ActivationView> inputs,
                             const ActivationView& output) const {
  const ActivationView& q = inputs[0];
  append_to_cache(context, inputs[1], inputs[2]);

  const auto& k = kernels::active();
  const int d = config_.head_dim;
  const int group = config_.num_heads / config_.num_kv_heads;
  const int64_t tasks = q.rows * config_.num_heads;
  const auto sequences = context.sequences;
  int64_t attended = 0;  // cached positions read, for the parallel threshold
  for (const SequenceSpan& s : sequences) attended += s.rows * (s.start_position + s.rows);

  // One (row, head) pair per task: each writes its own slice of the output,
  // so the result does not depend on how tasks are spread over threads.
#pragma omp parallel for schedule(static) if (worth_parallel(tasks / q.rows * attended * d))
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t r = task / config_.num_heads;
    const int h = static_cast<int>(task % config_.num_heads);
    const int kv_head = h / group;
    const SequenceSpan& sequence = sequences.size() == 1 ? sequences.front()
        : *std::upper_bound(sequences.begin(), sequences.end(), r,
                            [](int64_t row, const SequenceSpan& s) { return row < s.first_row + s.rows; });
    SessionState& state = cache_state(context, sequence);
    KvCacheLayer& cache = state.kv_cache().layer(config_.cache_slot);
    const int position = sequence.start_position + static_cast<int>(r - sequence.first_row);
    const int length = position + 1;  // causal: attend to positions 0..position

    float* query = state.thread_scratch(omp_get_thread_num());
    float* scores = query + head_scratch_floats(d);
    std::memcpy(query, q.row(r) + h * d, d * sizeof(float));
    if (rotary_) rotary_->apply(query, position);
    k.scale(query, scale_, d);

    for (int j = 0; j < length; ++j) scores[j] = k.dot(query, cache.key(kv_head, j), d);
    const float inverse_sum = 1.f / k.exp_shifted(scores, length);

    float* out = output.row(r) + h * d;
    std::memset(out, 0, d * sizeof(float));
    for (int j = 0; j < length; ++j) k.axpy(scores[j], cache.value(kv_head, j), out, d);
    k.scale(out, inverse_sum, d);
  }
}

ActivationView AttentionOp::positioned_keys(const RunContext& context, const ActivationView& k) const {
  if (!rotary_) return k;
  const ActivationView rotated{context.state.step_buffer(k.rows * k.width), k.rows, k.width};
  std::memcpy(rotated.data, k.data, k.rows * k.width * sizeof(float));
  for (const SequenceSpan& sequence : context.sequences) {
    for (int64_t i = 0; i < sequence.rows; ++i) {
      const int position = sequence.start_position + static_cast<int>(i);
      float* row = rotated.row(sequence.first_row + i);
      for (int h = 0; h < config_.num_kv_heads; ++h) rotary_->apply(row + h * config_.head_dim, position);
    }
  }
  return rotated;
}

void AttentionOp::run_packed(const RunContext& context, std::span<const ActivationView> inputs,
                             const ActivationView& output) const {
  const ActivationView& q = inputs[0];
  const ActivationView keys = positioned_keys(context, inputs[1]);
  const ActivationView& values = inputs[2];
  const auto& k = kernels::active();
  const int d = config_.head_dim;
  const int group = config_.num_heads / config_.num_kv_heads;
  const int64_t tasks = q.rows * config_.num_heads;

  // Sequences cover the rows in order, so a binary search finds a row's own.
  const std::span<const SequenceSpan> sequences = context.sequences;
#pragma omp parallel for schedule(static) if (worth_parallel(tasks * q.rows * d))
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t r = task / config_.num_heads;
    const int h = static_cast<int>(task % config_.num_heads);
    const int kv_offset = (h / group) * d;
    const SequenceSpan& sequence = *std::upper_bound(sequences.begin(), sequences.end(), r,
        [](int64_t row, const SequenceSpan& s) { return row < s.first_row + s.rows; });
    const int64_t index = r - sequence.first_row;  // the row's place in its sequence

    float* query = context.state.thread_scratch(omp_get_thread_num());
    float* scores = query + head_scratch_floats(d);
    std::memcpy(query, q.row(r) + h * d, d * sizeof(float));
    if (rotary_) rotary_->apply(query, sequence.start_position + static_cast<int>(index));
    k.scale(query, scale_, d);

    const int64_t length = config_.causal ? index + 1 : sequence.rows;
    for (int64_t j = 0; j < length; ++j) scores[j] = k.dot(query, keys.row(sequence.first_row + j) + kv_offset, d);
    const float inverse_sum = 1.f / k.exp_shifted(scores, length);

    float* out = output.row(r) + h * d;
    std::memset(out, 0, d * sizeof(float));
    for (int64_t j = 0; j < length; ++j) k.axpy(scores[j], values.row(sequence.first_row + j) + kv_offset, out, d);
    k.scale(out, inverse_sum, d);
  }
}

}  // namespace attn
