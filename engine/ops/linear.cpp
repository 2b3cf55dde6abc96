#include "engine/ops/linear.h"

#include <omp.h>

#include <algorithm>

#include "engine/kernels/gemv.h"
#include "engine/kernels/kernels.h"
#include "engine/parallel.h"
#include "engine/session_state.h"

namespace attn {
namespace {

// Rows are handed to threads in blocks of this many, so no two threads
// write the same cache line of y.
constexpr int64_t kRowBlock = 16;
// Widened 16-bit weight panels of about this many bytes (fits in L2).
constexpr int64_t kPanelBytes = 512 * 1024;

}  // namespace

LinearOp::LinearOp(Tensor weight, std::optional<Tensor> bias) : weight_(std::move(weight)) {
  if (bias) bias_ = bias->to_f32();
}

void LinearOp::prepare(SessionState& state, int) const {
  if (weight_.dtype() != DType::F32) state.require_weight_panel(panel_rows() * weight_.dim(1));
}

int64_t LinearOp::panel_rows() const {
  const int64_t rows = kPanelBytes / (weight_.dim(1) * static_cast<int64_t>(sizeof(float))) / kRowBlock * kRowBlock;
  return std::clamp(rows, kRowBlock, weight_.dim(0));
}

void LinearOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                   const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  if (x.rows == 1) {
    run_gemv(x.data, output.data);
  } else {
    run_matmul(context, x, output);
  }
}

void LinearOp::run_gemv(const float* x, float* y) const {
  const kernels::GemvRows gemv = kernels::active_gemv().for_dtype(weight_.dtype());
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  const void* w = weight_.data();
  if (!worth_parallel(n * k)) {
    gemv(w, x, y, 0, n, k);
  } else {
#pragma omp parallel
    {
      const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
      const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
      const int64_t begin = blocks * t / threads * kRowBlock;
      const int64_t end = std::min(n, blocks * (t + 1) / threads * kRowBlock);
      if (begin < end) gemv(w, x, y, begin, end, k);
    }
  }
  if (bias_) kernels::active().add(y, bias_->data_as<float>(), y, n);
}

void LinearOp::run_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  auto& primitives = context.state.linear_primitives();
  const float* bias = bias_ ? bias_->data_as<float>() : nullptr;
  if (weight_.dtype() == DType::F32) {
    primitives.get(x.rows, k, n, bias != nullptr, n).run(context.state.stream(), x.data, weight_.data_as<float>(), bias, y.data);
    return;
  }
  const auto& convert = kernels::active();
  const auto widen = weight_.dtype() == DType::F16 ? convert.f16_to_f32 : convert.bf16_to_f32;
  float* panel = context.state.weight_panel();
  const int64_t panel_rows = this->panel_rows();
  for (int64_t first = 0; first < n; first += panel_rows) {
    const int64_t rows = std::min(panel_rows, n - first);
    const uint16_t* source = weight_.data_as<uint16_t>() + first * k;
#pragma omp parallel for
    for (int64_t r = 0; r < rows; ++r) widen(source + r * k, panel + r * k, k);
    primitives.get(x.rows, k, rows, bias != nullptr, n)
        .run(context.state.stream(), x.data, panel, bias ? bias + first : nullptr, y.data + first);
  }
}

}  // namespace attn
