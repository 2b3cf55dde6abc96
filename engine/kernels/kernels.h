// The engine's own kernels: vectorised building blocks for the memory-bound
// ops (norms, activations, softmax, attention over the KV cache), the decode
// GEMVs and the int8 and block-type (engine/quant_blocks.h) kernels. One table per instruction set; the one the
// engine uses is chosen once per process from the CPU's features (or
// ATTN_KERNELS=scalar|avx2|avx512), so results never depend on the thread
// count and CPUs without AVX2 still run (scalar code).
#pragma once

#include <cstdint>

#include "engine/kernels/attention.h"
#include "engine/kernels/block_kernels.h"
#include "engine/kernels/gemv.h"
#include "engine/kernels/int8.h"

namespace attn::kernels {

struct VectorKernels {
  float (*dot)(const float* a, const float* b, int64_t n);
  // y += a * x
  void (*axpy)(float a, const float* x, float* y, int64_t n);
  // out = x / sqrt(mean(x^2) + eps) * weight
  void (*rms_norm)(const float* x, const float* weight, float* out, int64_t n, float eps);
  // out = silu(gate) * up, silu(g) = g / (1 + exp(-g))
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // out = a + b
  void (*add)(const float* a, const float* b, float* out, int64_t n);
  // x *= s
  void (*scale)(float* x, float s, int64_t n);
  // In place x = exp(x - max(x)); returns the sum (for a softmax).
  float (*exp_shifted)(float* x, int64_t n);
  // f16 / bf16 -> f32 for n values
  void (*f16_to_f32)(const uint16_t* src, float* dst, int64_t n);
  void (*bf16_to_f32)(const uint16_t* src, float* dst, int64_t n);
  // out = (x - mean) / sqrt(var + eps) * weight + bias (LayerNorm, biased variance)
  void (*layer_norm)(const float* x, const float* weight, const float* bias, float* out, int64_t n, float eps);
  // GELU in place: x * Phi(x) with the exact erf (BERT's "gelu") or the tanh
  // approximation (GPT-2's "gelu_new").
  void (*gelu_erf)(float* x, int64_t n);
  void (*gelu_tanh)(float* x, int64_t n);
};

// Instruction sets with a table, best last.
enum class Isa { Scalar, Avx2, Avx512 };

struct KernelTable : VectorKernels {
  Isa isa;
  const char* name;  // "scalar", "avx2+fma", "avx512 (avx2 kernels)"
  GemvKernels gemv;
  Int8Kernels int8;
  BlockKernels blocks;
  AttentionKernels attention;
};

// The table the engine runs, chosen on first use.
const KernelTable& active();
// Any instruction set's table, for tests that compare them; nullptr when
// this CPU lacks it.
const KernelTable* table_for(Isa isa);

}  // namespace attn::kernels
