#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "engine/op.h"
#include "engine/tensor.h"

namespace attn {

// A Linear layer's parameters, and the checkpoint tensor they come from so
// that `attn quantize` and ModelInfo can name them.
struct LinearWeights {
  Tensor weight = {};               // [out_features, in_features]
  std::optional<Tensor> bias = {};  // [out_features]
  std::string source = {};          // the checkpoint tensor the weight is, or is derived from; empty: none
  bool as_stored = true;            // the weight is `source` itself, not a slice or a transposed copy
  // ComputeType::BF16 (add_bf16_matmul_weights): the weight in bf16 for the
  // matmuls of several rows (`weight` itself when stored as BF16); decoding
  // keeps reading `weight`. Empty: f32 compute.
  std::optional<Tensor> bf16_matmul_weight = {};
};

// y = x W^T + b with W stored [out_features, in_features] (the layout of
// PyTorch's nn.Linear and of every checkpoint format we read), in its stored
// dtype (f32, f16, bf16, int8 with per-row scales, or ggml's block types):
// weights are never copied at load, except Q4_0, Q8_0, Q4_K and Q6_K,
// whose kernels read a copy with eight rows interleaved
// (interleaved_blocks.h), made here once (the stored blocks stay the
// weight() others see), and the bf16 copies of ComputeType::BF16 (below).
//  - A few rows (decoding, several sessions decoding together): GEMVs that
//    stream W once, rows split over threads; each block of W rows, still in
//    L1, serves every input row. For int8 weights each input row is first
//    quantised to int8 (one scale per row).
//  - More rows (prefill, scoring): oneDNN matmul; 16-bit weights are widened
//    to f32 one panel of rows at a time, so the copy stays in cache and its
//    cost is shared by every input row. Int8 weights use oneDNN's s8 x s8
//    matmul on rows quantised like the decode path's (2.5x the f32 prefill
//    tokens/s here, where dequantised f32 panels reached 0.85x).
//    Block weights (and int8 without VNNI) run the decode GEMV kernel over
//    tiles of input rows instead: no matrix is ever dequantised. Under
//    ComputeType::BF16, F32/F16/BF16 weights run oneDNN's bf16 matmul on
//    their bf16 copy and the input rows rounded to bf16.
class LinearOp : public Op {
 public:
  explicit LinearOp(LinearWeights weights);
  std::string_view name() const override { return "Linear"; }
  int64_t output_width() const override { return weight_.dim(0); }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;
  void prepare(SessionState& state, int context_length) const override;
  const Tensor& weight() const { return weight_; }
  // The weights as given (bias in f32), e.g. for a pass that converts them.
  LinearWeights weights() const { return {weight_, bias_, source_, as_stored_, bf16_matmul_weight_}; }

 private:
  void run_gemv(const RunContext& context, const ActivationView& x, const ActivationView& y) const;
  void run_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const;
  void run_matmul_tile(const RunContext& context, const ActivationView& x, const ActivationView& y) const;
  void run_int8_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const;
  void run_bf16_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const;
  int64_t panel_rows() const;
  // One row of a 16-bit weight as f32.
  void widen_row(int64_t row, float* out) const;

  // What the kernels read: the interleaved copy, or weight_'s data.
  const void* kernel_weights() const { return interleaved_ ? interleaved_.get() : weight_.data(); }

  Tensor weight_;
  std::shared_ptr<const std::byte> interleaved_;  // weight_ with rows interleaved, where its kernels read that
  std::optional<Tensor> bias_;  // f32
  std::string source_;
  bool as_stored_;
  std::optional<Tensor> bf16_matmul_weight_;
};

}  // namespace attn
