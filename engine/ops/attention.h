#pragma once

#include <memory>
#include <optional>

#include "engine/op.h"
#include "engine/ops/relative_position_bias.h"
#include "engine/ops/rope.h"

namespace attn {

struct AttentionConfig {
  int num_heads = 0;
  int num_kv_heads = 0;  // < num_heads: grouped-query attention
  int head_dim = 0;
  std::optional<RopeStyle> rope;  // none: positions come from elsewhere (e.g. learned)
  double rope_theta = 10000.0;
  // Scaled or partial RoPE (models/rope_scaling.h); none: theta^(-2i/d) over the whole head.
  std::optional<RopeFrequencies> rope_frequencies;
  float scale = 0;          // of q.k; 0: 1/sqrt(head_dim)
  float logit_softcap = 0;  // > 0: scores become cap * tanh(score / cap) (Gemma 2)
  // T5: a learned bias per head and relative distance added to the scores
  // (one table shared by every layer of a stack).
  std::shared_ptr<const RelativePositionBias> relative_bias;
  // > 0: a query sees only the last `sliding_window` positions, itself
  // included (Mistral, Gemma's local layers); older keys are skipped.
  int sliding_window = 0;
  // false: an encoder; each row attends to every row of its own sequence,
  // read straight from k/v (no KV cache).
  bool causal = true;
  int cache_slot = 0;  // which KV cache layer of the session this op owns
};

// Multi-head attention. Inputs are the projected q [rows, heads*d], k and v
// [rows, kv_heads*d]. RoPE, when configured, is applied here (to q on the
// fly, to k as it enters the cache or the step's key buffer).
//  - Causal step over the KV cache (decoding one sequence): the new k/v rows
//    are appended at the context's positions, and each query row attends to
//    every cached position up to its own.
//  - Packed step (RunContext::packed: encoder batches, decoder scoring
//    batches): each row attends to the rows of its own sequence in this step
//    (up to its own when causal), so packing sequences without padding makes
//    the padding mask implicit and no sequence sees another.
// Either way keys and values are read as the session's KV cache types store
// them (SessionOptions::cache_type_k/v), by kernels::AttentionKernels.
class AttentionOp : public Op {
 public:
  explicit AttentionOp(const AttentionConfig& config);
  std::string_view name() const override { return "Attention"; }
  int64_t output_width() const override { return static_cast<int64_t>(config_.num_heads) * config_.head_dim; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  void prepare(SessionState& state, int context_length) const override;

  const AttentionConfig& config() const { return config_; }

 private:
  // `parts` of the step's sequences; `whole`: the sequence they are chunks
  // of (LongRoPE picks its table by the whole step), null: each part is whole.
  void append_to_cache(const RunContext& context, std::span<const SequenceSpan> parts, const SequenceSpan* whole,
                       const ActivationView& k, const ActivationView& v) const;
  void attend_cached(const RunContext& context, std::span<const SequenceSpan> parts, const SequenceSpan* whole,
                     const ActivationView& q, const ActivationView& output) const;
  void run_causal(const RunContext& context, std::span<const ActivationView> inputs, const ActivationView& output) const;
  void run_packed(const RunContext& context, std::span<const ActivationView> inputs,
                  const ActivationView& output) const;
  // k with RoPE applied at each row's position in its sequence (in the
  // session's step buffer), or k itself when there is no RoPE.
  ActivationView positioned_keys(const RunContext& context, const ActivationView& k) const;
  // The softmax over positions [first, last] of head `head`'s `query`
  // (rotated, unscaled; at query_position) against their keys, weighting
  // their values, into `out`. runs(first, last, f) calls f(count, keys,
  // values) for stretches of positions stored contiguously
  // (kernels::CachedRows), in position order.
  template <typename Runs>
  void attend(float* query, int head, int query_position, int first, int last, Runs runs, float* out) const;

  class PackedRows;

  AttentionConfig config_;
  std::optional<Rotary> rotary_;
  float scale_;
};

}  // namespace attn
