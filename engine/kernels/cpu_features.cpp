#include "engine/kernels/cpu_features.h"

#include <cpuid.h>

#include <cstdint>

namespace attn::kernels {
namespace {

// XCR0: which register states the OS saves on a context switch.
uint64_t enabled_register_states() {
  uint32_t eax, edx;
  __asm__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t{edx} << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = ecx & bit_OSXSAVE;
  if (!osxsave) return f;
  const uint64_t xcr0 = enabled_register_states();
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;      // SSE and AVX state
  const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;    // and the opmask / upper ZMM state
  const bool avx = ymm_saved && (ecx & bit_AVX);
  f.fma = avx && (ecx & bit_FMA);
  f.f16c = avx && (ecx & bit_F16C);
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  f.avx2 = avx && (ebx & bit_AVX2);
  f.avx512f = zmm_saved && (ebx & bit_AVX512F);
  f.avx512bw = f.avx512f && (ebx & bit_AVX512BW);
  f.avx512vl = f.avx512f && (ebx & bit_AVX512VL);
  f.avx512vnni = f.avx512f && (ecx & bit_AVX512VNNI);
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace attn::kernels
