// Each instruction set's kernels, defined in its own files (the AVX2 ones
// are the only files built with AVX2 flags); dispatch.cpp assembles them
// into KernelTables.
#pragma once

#include "engine/kernels/kernels.h"

namespace attn::kernels {

const VectorKernels& scalar_vector_kernels();  // scalar.cpp
const GemvKernels& scalar_gemv_kernels();      // gemv_scalar.cpp
const Int8Kernels& scalar_int8_kernels();      // int8_scalar.cpp
const Q4_0Kernels& scalar_q4_0_kernels();      // q4_0_scalar.cpp
const AttentionKernels& scalar_attention_kernels();  // attention_scalar.cpp
const VectorKernels& avx2_vector_kernels();    // avx2.cpp
const GemvKernels& avx2_gemv_kernels();        // gemv_avx2.cpp
const Int8Kernels& avx2_int8_kernels();        // int8_avx2.cpp
const Q4_0Kernels& avx2_q4_0_kernels();        // q4_0_avx2.cpp
const AttentionKernels& avx2_attention_kernels();    // attention_avx2.cpp

}  // namespace attn::kernels
