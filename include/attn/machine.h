// What bounds inference on this machine and for a model, for `attn bench`:
// the memory read bandwidth (decode streams every weight once per token),
// oneDNN's f32 GEMM FLOP/s at a model's matrix shapes (prefill is a chain of
// matrix products), the work one forward pass does, and the process's
// resident memory.
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

struct MatrixShape {
  int64_t in_features, out_features;
};

// Bytes/s of a streaming read of a buffer far larger than the caches, with
// the current thread count; best of a few passes.
double probe_read_bandwidth();

// FLOP/s of [rows x in] x [in x out] f32 matmuls over `shapes` (each counted
// as often as it appears), with the current thread count.
double probe_gemm_flops(int64_t rows, const std::vector<MatrixShape>& shapes);

// The work of one forward pass of `model`.
struct ForwardCost {
  // A prefill of `prompt_tokens`: the Linear products that see every row
  // (the LM head sees only the last), and FLOPs per token (2 x multiply-adds).
  std::vector<MatrixShape> prefill_shapes;
  double prefill_flops_per_token = 0;
  double linear_weight_bytes = 0;   // read once per decode step (of a mixture of experts: a token's top_k)
  double kv_bytes_per_position = 0;  // keys and values of all layers
  // Of those, the sliding-window layers', which hold at most their window.
  struct WindowedLayer {
    double bytes_per_position;
    int window;
  };
  std::vector<WindowedLayer> windowed_kv;
  // The KV bytes a sequence of `length` positions holds (and a decode step
  // at that length reads).
  double kv_bytes(int64_t length) const;
};
// The KV cache's bytes follow `session`'s cache types.
ForwardCost forward_cost(const Model& model, int prompt_tokens, const SessionOptions& session = {});

// Peak resident set size (VmHWM) in bytes, mapped weight pages that were
// touched included; 0 where /proc is unavailable.
int64_t peak_resident_bytes();

// Starts a new peak from the current resident size (Linux clear_refs), so a
// later peak_resident_bytes() covers only what follows; false if unsupported.
bool reset_peak_resident();

}  // namespace attn
