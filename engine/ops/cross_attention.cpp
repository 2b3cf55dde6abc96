#include "engine/ops/cross_attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attn/error.h"
#include "engine/kernels/kernels.h"
#include "engine/parallel.h"
#include "engine/session_state.h"

namespace attn {
namespace {

int64_t query_floats(int head_dim) { return (head_dim + 15) / 16 * 16; }

const CrossAttentionMemory& memory_of(const RunContext& context, const SequenceSpan& sequence) {
  const SessionState& state = sequence.cache_owner ? *sequence.cache_owner : context.state;
  return *state.cross_attention();
}

}  // namespace

CrossAttentionOp::CrossAttentionOp(const CrossAttentionConfig& config)
    : config_(config), scale_(config.scale > 0 ? config.scale : 1.f / std::sqrt(static_cast<float>(config.head_dim))) {}

void CrossAttentionOp::prepare(SessionState& state, int) const {
  state.require_thread_scratch(query_floats(config_.head_dim) + config_.max_source_length);
}

void CrossAttentionOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                           const ActivationView& output) const {
  for (const SequenceSpan& sequence : context.sequences) {  // before the parallel loop, which must not throw
    const SessionState& state = sequence.cache_owner ? *sequence.cache_owner : context.state;
    if (!state.cross_attention()) throw Error("the decoder of an encoder-decoder model needs a source: Session::encode first");
  }
  const ActivationView& q = inputs[0];
  const auto& k = kernels::active();
  const int d = config_.head_dim;
  const int64_t tasks = q.rows * config_.num_heads;
  const auto sequences = context.sequences;
  const int64_t source_rows = memory_of(context, sequences.front()).source_length;

#pragma omp parallel for schedule(static) if (worth_parallel(tasks * source_rows * d))
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t r = task / config_.num_heads;
    const int h = static_cast<int>(task % config_.num_heads);
    const SequenceSpan& sequence = *std::upper_bound(sequences.begin(), sequences.end(), r,
        [](int64_t row, const SequenceSpan& s) { return row < s.first_row + s.rows; });
    const CrossAttentionMemory& memory = memory_of(context, sequence);
    const CrossAttentionLayer& layer = memory.layers[config_.cache_slot];
    const int length = memory.source_length;

    float* query = context.state.thread_scratch(omp_get_thread_num());
    float* scores = query + query_floats(d);
    std::memcpy(query, q.row(r) + h * d, d * sizeof(float));
    k.scale(query, scale_, d);
    const float* keys = layer.keys.data() + static_cast<int64_t>(h) * layer.capacity * d;
    const float* values = layer.values.data() + static_cast<int64_t>(h) * layer.capacity * d;
    for (int j = 0; j < length; ++j) scores[j] = k.dot(query, keys + static_cast<int64_t>(j) * d, d);
    const float inverse_sum = 1.f / k.exp_shifted(scores, length);

    float* out = output.row(r) + h * d;
    std::memset(out, 0, d * sizeof(float));
    for (int j = 0; j < length; ++j) k.axpy(scores[j], values + static_cast<int64_t>(j) * d, out, d);
    k.scale(out, inverse_sum, d);
  }
}

}  // namespace attn
