// Every kernel table this CPU can run (scalar, AVX2, AVX-512), for the tests
// that hold each instruction set's kernels to the same results.
#pragma once

#include <vector>

#include "engine/kernels/kernels.h"

namespace attn::test {

inline std::vector<const kernels::KernelTable*> kernel_tables() {
  std::vector<const kernels::KernelTable*> found;
  for (kernels::Isa isa : {kernels::Isa::Scalar, kernels::Isa::Avx2, kernels::Isa::Avx512}) {
    if (const kernels::KernelTable* table = kernels::table_for(isa)) found.push_back(table);
  }
  return found;
}

}  // namespace attn::test
