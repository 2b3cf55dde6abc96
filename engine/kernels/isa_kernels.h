// Each instruction set's kernels, defined in its own files (the AVX2 and
// AVX-512 ones are the only files built with those flags); dispatch.cpp assembles them
// into KernelTables.
#pragma once

#include "engine/kernels/kernels.h"

namespace attn::kernels {

const VectorKernels& scalar_vector_kernels();  // scalar.cpp
const GemvKernels& scalar_gemv_kernels();      // gemv_scalar.cpp
const Int8Kernels& scalar_int8_kernels();      // int8_scalar.cpp
const BlockKernels& scalar_block_kernels();    // block_tables.cpp
const AttentionKernels& scalar_attention_kernels();  // attention_scalar.cpp
const VectorKernels& avx2_vector_kernels();    // avx2.cpp
const GemvKernels& avx2_gemv_kernels();        // gemv_avx2.cpp
const Int8Kernels& avx2_int8_kernels();        // int8_avx2.cpp
const BlockKernels& avx2_block_kernels();      // block_tables_avx2.cpp
const AttentionKernels& avx2_attention_kernels();    // attention_avx2.cpp
const BlockKernels& avx512_block_kernels();    // block_tables_avx512.cpp

}  // namespace attn::kernels
