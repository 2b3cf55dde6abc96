// What this CPU (and the OS, which must save the wider registers) supports,
// read once with cpuid. The one place the engine asks; GCC and Clang both
// build it (Clang 14 rejects __builtin_cpu_supports("f16c")).
#pragma once

namespace attn::kernels {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;    // the AVX2 kernels need all three
  bool avx512f = false, avx512bw = false, avx512vl = false;
  bool avx512vnni = false;  // vpdpbusd: the AVX-512 kernels' int8 dot product
};

const CpuFeatures& cpu_features();

}  // namespace attn::kernels
