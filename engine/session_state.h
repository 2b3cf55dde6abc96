// The mutable, per-sequence state ops read and write while a Session runs:
// the KV cache (kv_cache.h), cached oneDNN primitives and per-thread scratch memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "attn/tokenizer.h"
#include "engine/dnnl_int8_linear.h"
#include "engine/dnnl_linear.h"
#include "engine/kv_cache.h"

namespace attn {

class SessionState {
 public:
  SessionState();

  dnnl::stream& stream() { return stream_; }
  LinearPrimitiveCache& linear_primitives() { return linear_primitives_; }
  PrimitiveCache<Bf16LinearPrimitive>& bf16_linear_primitives() { return bf16_linear_primitives_; }

  KvCache& kv_cache() { return kv_cache_; }
  const KvCache& kv_cache() const { return kv_cache_; }

  // Encoder-decoder models: the encoded source this session translates
  // (null until Session::encode).
  const CrossAttentionMemory* cross_attention() const { return cross_attention_.get(); }
  const std::shared_ptr<const CrossAttentionMemory>& shared_cross_attention() const { return cross_attention_; }
  void set_cross_attention(std::shared_ptr<const CrossAttentionMemory> memory) { cross_attention_ = std::move(memory); }

  // Per-thread scratch: ops declare how much each thread needs (at session
  // creation); the session sizes it for the thread count before each run,
  // so the hot loop never allocates.
  void require_thread_scratch(int64_t floats);
  void prepare_threads(int threads);
  float* thread_scratch(int thread) { return thread_scratch_.data() + thread * scratch_stride_; }

  // A buffer of at least `floats` for one op's use during a step (e.g. the
  // rotated keys of a packed batch); ops run one after another, so they
  // share it. Grows only when a step is larger than any before.
  float* step_buffer(int64_t floats);
  // A packed step's keys and values stored as the KV cache would store them
  // (attention reads them in the cache's types either way).
  std::byte* packed_kv_buffer(int64_t bytes);
  // The same for an op that runs other ops inside it (a mixture of experts
  // running its experts' Linears, which use step_buffer).
  float* outer_step_buffer(int64_t floats);

  // One buffer for 16-bit weights widened to f32 a panel at a time; ops
  // run one after another, so they share it.
  void require_weight_panel(int64_t floats);
  float* weight_panel() { return weight_panel_.data(); }
  // One buffer for a tile of activation rows rounded to bf16 (ComputeType::BF16).
  void require_bf16_rows(int64_t values);
  uint16_t* bf16_rows() { return bf16_rows_.data(); }

  // The sequence's tokens by position, for ops that recompute the whole
  // sequence each step instead of caching (imported graphs run op by op).
  std::vector<TokenId>& token_history() { return token_history_; }
  // Activation rows quantised to int8 and their scales (one per row) for
  // int8 weights, or `width` bytes of activation blocks per row for block
  // weights (engine/kernels/block_kernels.h): reserved when the session is
  // created (decoding never allocates), grown when a longer prefill needs more.
  void require_quantized_rows(int64_t rows, int64_t width);
  int8_t* quantized_rows() { return quantized_rows_.data(); }
  float* quantized_row_scales() { return quantized_row_scales_.data(); }
  PrimitiveCache<Int8LinearPrimitive>& int8_linear_primitives() { return int8_linear_primitives_; }

 private:
  dnnl::stream stream_;
  LinearPrimitiveCache linear_primitives_;
  PrimitiveCache<Bf16LinearPrimitive> bf16_linear_primitives_;
  KvCache kv_cache_;
  std::shared_ptr<const CrossAttentionMemory> cross_attention_;
  std::vector<float> thread_scratch_;
  int64_t scratch_stride_ = 0;
  std::vector<float> weight_panel_;
  std::vector<uint16_t> bf16_rows_;
  std::vector<TokenId> token_history_;
  std::vector<float> step_buffer_, outer_step_buffer_;
  std::vector<std::byte> packed_kv_buffer_;
  std::vector<int8_t> quantized_rows_;
  std::vector<float> quantized_row_scales_;
  PrimitiveCache<Int8LinearPrimitive> int8_linear_primitives_;
};

}  // namespace attn
