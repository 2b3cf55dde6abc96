// Measures what bounds inference on this machine: the memory read bandwidth
// (decode streams every weight once per token) and oneDNN's f32 GEMM FLOP/s
// at a model's matrix shapes (prefill is a chain of matrix products).
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

struct MatrixShape {
  int64_t in_features, out_features;
};

// Bytes/s of a streaming read of a buffer far larger than the caches, with
// the current thread count; best of a few passes.
double probe_read_bandwidth();

// FLOP/s of [rows x in] x [in x out] f32 matmuls over `shapes` (each counted
// as often as it appears), with the current thread count.
double probe_gemm_flops(int64_t rows, const std::vector<MatrixShape>& shapes);

}  // namespace attn
