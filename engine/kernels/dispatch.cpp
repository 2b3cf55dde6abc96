// Picks the kernel table once, from what the CPU reports at run time.
#include <cpuid.h>

#include <cstdlib>
#include <cstring>

#include "engine/kernels/kernels.h"

namespace attn::kernels {

const KernelTable& avx2_kernels();  // avx2.cpp

// clang 14's __builtin_cpu_supports does not know "f16c": read CPUID leaf 1 (ECX bit 29).
static bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

const KernelTable* avx2_table() {
  static const bool supported =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  return supported ? &avx2_kernels() : nullptr;
}

const KernelTable& active() {
  // ATTN_KERNELS=scalar forces the fallback, to test it on AVX2 machines.
  static const KernelTable& table = [] () -> const KernelTable& {
    const char* forced = std::getenv("ATTN_KERNELS");
    if (forced && std::strcmp(forced, "scalar") == 0) return scalar_table();
    const KernelTable* vector = avx2_table();
    return vector ? *vector : scalar_table();
  }();
  return table;
}

}  // namespace attn::kernels
