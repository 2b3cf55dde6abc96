#include "engine/session_state.h"

#include <algorithm>

namespace attn {

SessionState::SessionState() : stream_(cpu_engine()) {}

void SessionState::require_thread_scratch(int64_t floats) {
  const int64_t stride = (floats + 15) / 16 * 16;  // each thread's block on its own cache lines
  if (stride > scratch_stride_) {
    scratch_stride_ = stride;
    thread_scratch_.clear();
  }
}

void SessionState::require_weight_panel(int64_t floats) {
  if (static_cast<int64_t>(weight_panel_.size()) < floats) weight_panel_.resize(floats);
}

void SessionState::require_bf16_rows(int64_t values) {
  if (static_cast<int64_t>(bf16_rows_.size()) < values) bf16_rows_.resize(values);
}

float* SessionState::step_buffer(int64_t floats) {
  if (static_cast<int64_t>(step_buffer_.size()) < floats) step_buffer_.resize(floats);
  return step_buffer_.data();
}

std::byte* SessionState::packed_kv_buffer(int64_t bytes) {
  if (static_cast<int64_t>(packed_kv_buffer_.size()) < bytes) packed_kv_buffer_.resize(bytes);
  return packed_kv_buffer_.data();
}

float* SessionState::outer_step_buffer(int64_t floats) {
  if (static_cast<int64_t>(outer_step_buffer_.size()) < floats) outer_step_buffer_.resize(floats);
  return outer_step_buffer_.data();
}

void SessionState::require_quantized_rows(int64_t rows, int64_t width) {
  if (static_cast<int64_t>(quantized_rows_.size()) < rows * width) quantized_rows_.resize(rows * width);
  if (static_cast<int64_t>(quantized_row_scales_.size()) < rows) quantized_row_scales_.resize(rows);
}

void SessionState::prepare_threads(int threads) {
  const size_t needed = static_cast<size_t>(threads) * scratch_stride_;
  if (thread_scratch_.size() < needed) thread_scratch_.assign(needed, 0.f);
}

}  // namespace attn
