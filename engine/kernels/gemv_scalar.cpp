#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

template <float (*Load)(const void*, int64_t)>
void gemv_rows(const void* weights, const float* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    float sum = 0.f;
    for (int64_t i = 0; i < k; ++i) sum += Load(weights, r * k + i) * x[i];
    y[r] = sum;
  }
}

float load_f32(const void* w, int64_t i) { return static_cast<const float*>(w)[i]; }
float load_f16(const void* w, int64_t i) { return f16_to_f32(static_cast<const uint16_t*>(w)[i]); }
float load_bf16(const void* w, int64_t i) { return bf16_to_f32(static_cast<const uint16_t*>(w)[i]); }

}  // namespace

GemvRows GemvKernels::for_dtype(DType dtype) const {
  switch (dtype) {
    case DType::F32: return f32;
    case DType::F16: return f16;
    case DType::BF16: return bf16;
    default: return nullptr;
  }
}

const GemvKernels& scalar_gemv_kernels() {
  static const GemvKernels table{gemv_rows<load_f32>, gemv_rows<load_f16>, gemv_rows<load_bf16>};
  return table;
}

}  // namespace attn::kernels
