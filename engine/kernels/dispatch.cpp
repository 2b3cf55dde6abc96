// The one kernel dispatch: a table per instruction set, the best one this
// CPU supports chosen once, or the one ATTN_KERNELS names.
#include <cstdlib>
#include <string>

#include "attn/error.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/isa_kernels.h"

namespace attn::kernels {
namespace {

bool supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2: return avx2;
    case Isa::Avx512: return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
  }
  return false;
}

const KernelTable& table(Isa isa) {
  static const KernelTable scalar{scalar_vector_kernels(), Isa::Scalar, "scalar", scalar_gemv_kernels(),
                                  scalar_int8_kernels(), scalar_block_kernels(), scalar_attention_kernels()};
  static const KernelTable avx2{avx2_vector_kernels(), Isa::Avx2, "avx2+fma", avx2_gemv_kernels(),
                                avx2_int8_kernels(), avx2_block_kernels(), avx2_attention_kernels()};
  // AVX-512 with VNNI (Cascade Lake, Ice Lake, Zen 4 and later): its own
  // block kernels; the rest are AVX2's. (An int8 GEMV on vpdpbusd decoded
  // 5-15 % slower than AVX2's on Zen 4, at the read ceiling either way.)
  static const KernelTable avx512{avx2_vector_kernels(), Isa::Avx512, "avx512-vnni", avx2_gemv_kernels(),
                                  avx2_int8_kernels(), avx512_block_kernels(), avx2_attention_kernels()};
  switch (isa) {
    case Isa::Scalar: return scalar;
    case Isa::Avx2: return avx2;
    case Isa::Avx512: return avx512;
  }
  return scalar;
}

// ATTN_KERNELS=scalar|avx2|avx512 forces a table (to test the fallbacks on
// a faster CPU); asking for one this CPU lacks is an error, not a crash.
const KernelTable& choose() {
  const char* forced = std::getenv("ATTN_KERNELS");
  if (forced && *forced) {
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
      const std::string name = isa == Isa::Scalar ? "scalar" : isa == Isa::Avx2 ? "avx2" : "avx512";
      if (name != forced) continue;
      if (!supported(isa)) throw Error("ATTN_KERNELS=" + name + ": this CPU does not support it");
      return table(isa);
    }
    throw Error(std::string("ATTN_KERNELS=") + forced + ": expected scalar, avx2 or avx512");
  }
  for (Isa isa : {Isa::Avx512, Isa::Avx2}) {
    if (supported(isa)) return table(isa);
  }
  return table(Isa::Scalar);
}

}  // namespace

const KernelTable* table_for(Isa isa) { return supported(isa) ? &table(isa) : nullptr; }

const KernelTable& active() {
  static const KernelTable& chosen = choose();
  return chosen;
}

}  // namespace attn::kernels
