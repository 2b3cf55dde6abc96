#pragma once

#include "engine/op.h"

namespace attn {

struct CrossAttentionConfig {
  int num_heads = 0;
  int head_dim = 0;
  int max_source_length = 0;  // the encoder's positions
  float scale = 0;            // of q.k; 0: 1/sqrt(head_dim) (T5 does not scale: 1)
  int cache_slot = 0;         // which layer of the session's CrossAttentionMemory this op reads
};

// Encoder-decoder attention: each decoder row's query (the projected q,
// [rows, heads*d]) attends to every position of its sequence's source,
// whose keys and values the encoder computed once (Session::encode) and the
// session keeps (SessionState::cross_attention). Rows decoding together read
// the memory of their own session (SequenceSpan::cache_owner).
class CrossAttentionOp : public Op {
 public:
  explicit CrossAttentionOp(const CrossAttentionConfig& config);
  std::string_view name() const override { return "CrossAttention"; }
  int64_t output_width() const override { return static_cast<int64_t>(config_.num_heads) * config_.head_dim; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  void prepare(SessionState& state, int context_length) const override;

 private:
  CrossAttentionConfig config_;
  float scale_;
};

}  // namespace attn
