#pragma once

#include <memory>

#include "engine/op.h"
#include "engine/interpreter/program.h"

namespace attn {

inline constexpr std::string_view kOnnxGraphOpName = "ONNXGraph";

// An imported graph no recogniser maps (loaders/onnx/recognise.h), run whole on the
// interpreter; its first output gives the rows (logits, or an
// encoder's hidden states). It caches nothing: a decoder's sequence is
// recomputed every step from the session's token history (correct, not
// fast); each packed encoder sequence runs alone.
class OnnxGraphOp : public Op {
 public:
  OnnxGraphOp(std::shared_ptr<const interpreter::Program> program, int64_t width, bool encoder, std::string where)
      : program_(std::move(program)), width_(width), encoder_(encoder), where_(std::move(where)) {}
  std::string_view name() const override { return kOnnxGraphOpName; }
  int64_t output_width() const override { return width_; }
  void run(const RunContext& context, std::span<const ActivationView> inputs,
           const ActivationView& output) const override;

 private:
  std::shared_ptr<const interpreter::Program> program_;
  int64_t width_;
  bool encoder_;
  std::string where_;
};

}  // namespace attn
