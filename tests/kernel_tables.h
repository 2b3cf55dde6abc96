// Every kernel table this CPU can run (scalar, AVX2, AVX-512), for the tests
// that hold each instruction set's kernels to the same results.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/tensor.h"

namespace attn::test {

inline std::vector<const kernels::KernelTable*> kernel_tables() {
  std::vector<const kernels::KernelTable*> found;
  for (kernels::Isa isa : {kernels::Isa::Scalar, kernels::Isa::Avx2, kernels::Isa::Avx512}) {
    if (const kernels::KernelTable* table = kernels::table_for(isa)) found.push_back(table);
  }
  return found;
}

// Block weights as `gemv`'s kernels read them: interleaved where its type
// is (as LinearOp prepares them), else the stored blocks.
inline std::vector<std::byte> kernel_weights(const kernels::BlockGemv& gemv, const Tensor& q) {
  const auto* stored = static_cast<const std::byte*>(q.data());
  if (!gemv.interleave) return {stored, stored + q.nbytes()};
  std::vector<std::byte> interleaved(gemv.interleaved_bytes(q.dim(0), q.dim(1)));
  gemv.interleave(stored, q.dim(0), q.dim(1), interleaved.data());
  return interleaved;
}

}  // namespace attn::test
