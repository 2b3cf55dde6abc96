// Row-wise elementwise ops of the Transformer block.
#pragma once

#include "engine/op.h"

namespace attn {

// a + b (the residual connection).
class AddOp : public Op {
 public:
  explicit AddOp(int64_t width) : width_(width) {}
  std::string_view name() const override { return "Add"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
};

// act(gate) * up: the gated activation of a GLU feed-forward network,
// silu for SwiGLU (Llama), the tanh GELU for GeGLU (Gemma).
enum class GluActivation { Silu, GeluTanh };
// out = act(gate) * up over n values; out may be gate.
void glu(GluActivation activation, const float* gate, const float* up, float* out, int64_t n);
class GluOp : public Op {
 public:
  GluOp(int64_t width, GluActivation activation) : width_(width), activation_(activation) {}
  std::string_view name() const override { return activation_ == GluActivation::Silu ? "SwiGLU" : "GeGLU"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
  GluActivation activation_;
};

// cap * tanh(x / cap): Gemma 2's soft-capping of the final logits.
class SoftCapOp : public Op {
 public:
  SoftCapOp(int64_t width, float cap) : width_(width), cap_(cap) {}
  std::string_view name() const override { return "SoftCap"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
  float cap_;
};

// silu(x) = x * sigmoid(x), elementwise: the activation of plain FFNs whose
// config says "swish" or "silu" (Marian).
class SiluOp : public Op {
 public:
  explicit SiluOp(int64_t width) : width_(width) {}
  std::string_view name() const override { return "SiLU"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
};

// max(x, 0), elementwise: the activation of T5 v1.0's feed-forward networks.
class ReluOp : public Op {
 public:
  explicit ReluOp(int64_t width) : width_(width) {}
  std::string_view name() const override { return "ReLU"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
};

// x * factor: embeddings scaled by sqrt(d_model) (Marian, M2M-100, Gemma).
class ScaleOp : public Op {
 public:
  ScaleOp(int64_t width, float factor) : width_(width), factor_(factor) {}
  std::string_view name() const override { return "Scale"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
  float factor_;
};

// tanh, elementwise: the activation of BERT's pooler and classifier heads.
class TanhOp : public Op {
 public:
  explicit TanhOp(int64_t width) : width_(width) {}
  std::string_view name() const override { return "Tanh"; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
};

// Keeps only the last row unless the caller wants every row: generation
// needs the next-token logits alone, so the LM head runs on one row.
class LastRowOp : public Op {
 public:
  explicit LastRowOp(int64_t width) : width_(width) {}
  std::string_view name() const override { return "LastRow"; }
  int64_t output_width() const override { return width_; }
  int64_t output_rows(int64_t input_rows, bool all_rows_out) const override { return all_rows_out ? input_rows : 1; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  int64_t width_;
};

}  // namespace attn
