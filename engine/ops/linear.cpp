#include "engine/ops/linear.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/kernels/interleaved_blocks.h"
#include "engine/kernels/kernels.h"
#include "engine/mapped_file.h"
#include "engine/parallel.h"
#include "engine/session_state.h"

namespace attn {
namespace {

// Rows are handed to threads in blocks of this many, so no two threads
// write the same cache line of y.
constexpr int64_t kRowBlock = 16;
static_assert(kRowBlock % kernels::kInterleavedRows == 0, "threads take whole groups of interleaved rows");
// Widened 16-bit weight panels of about this many bytes (fits in L2).
constexpr int64_t kPanelBytes = 512 * 1024;
// Up to this many input rows, GEMVs over weights read once beat a oneDNN
// matmul, which packs and pads for larger products.
constexpr int64_t kMaxGemvRows = 8;
// Weight rows per GEMV block: about this many bytes, so that the block is
// still in L1 when the next input row needs it.
constexpr int64_t kGemvBlockBytes = 16 * 1024;
// Rows per oneDNN matmul call (see run_matmul): a multiple of the 16- and
// 24-row blocks of its f32 kernels.
constexpr int64_t kMatmulTileRows = 48;

// oneDNN's s8 x s8 matmul sums exactly in int32 only on CPUs with VNNI.
// Without it (AVX2, AVX-512 before Cascade Lake) it adds pairs of u8 x s8
// products in int16 (vpmaddubsw), which saturates for full-range operands
// (oneDNN's "Nuances of int8 computations") and gives wrong logits.
bool onednn_int8_matmul_is_exact() {
  static const bool exact = [] {
    using dnnl::cpu_isa;
    const cpu_isa isa = dnnl::get_effective_cpu_isa();
    return isa == cpu_isa::avx2_vnni || isa == cpu_isa::avx512_core_vnni || isa == cpu_isa::avx512_core_bf16 ||
           isa == cpu_isa::avx512_core_amx;
  }();
  return exact;
}

// The kernels' copy of block weights they read interleaved, cache-line
// aligned. The stored blocks' pages are then handed back to the kernel
// (they are a mapped file's, or the caller's memory): only the copy is read
// from now on, and a process holding both would count the weights twice.
std::shared_ptr<const std::byte> interleave_rows(const kernels::BlockGemv& block, const Tensor& weight) {
  const int64_t rows = weight.dim(0), k = weight.dim(1);
  const size_t bytes = block.interleaved_bytes(rows, k);
  constexpr size_t kAlign = 64;
  auto* copy = static_cast<std::byte*>(std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign));
  if (!copy) throw std::bad_alloc();
  block.interleave(weight.data(), rows, k, copy);
  release_pages(weight.data(), weight.nbytes());
  return {copy, [](const std::byte* p) { std::free(const_cast<std::byte*>(p)); }};
}

}  // namespace

LinearOp::LinearOp(LinearWeights weights)
    : weight_(std::move(weights.weight)),
      source_(std::move(weights.source)),
      as_stored_(weights.as_stored),
      bf16_matmul_weight_(std::move(weights.bf16_matmul_weight)) {
  if (weights.bias) bias_ = weights.bias->to_f32();
  const kernels::BlockGemv* block = kernels::active().blocks.for_dtype(weight_.dtype());
  if (block && block->interleave) interleaved_ = interleave_rows(*block, weight_);
}

void LinearOp::prepare(SessionState& state, int) const {
  const DType dtype = weight_.dtype();
  if (bf16_matmul_weight_) {
    state.require_bf16_rows(kMatmulTileRows * weight_.dim(1));
  } else if (dtype == DType::F16 || dtype == DType::BF16) {
    state.require_weight_panel(panel_rows() * weight_.dim(1));
  }
  if (dtype == DType::I8) state.require_quantized_rows(kMaxGemvRows, weight_.dim(1));
  if (const kernels::BlockGemv* block = kernels::active().blocks.for_dtype(dtype)) {
    state.require_quantized_rows(kMaxGemvRows, static_cast<int64_t>(block->activation_row_bytes(weight_.dim(1))));
  }
}

int64_t LinearOp::panel_rows() const {
  const int64_t rows = kPanelBytes / (weight_.dim(1) * static_cast<int64_t>(sizeof(float))) / kRowBlock * kRowBlock;
  return std::clamp(rows, kRowBlock, weight_.dim(0));
}

void LinearOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                   const ActivationView& output) const {
  const ActivationView& x = inputs[0];
  // Packed batches always take the tiled matmul, so a sequence's scores are
  // the same alone as among others (see run_matmul). Decode steps of many
  // sequences (one row each: Session::decode_step, beam search) take GEMVs in
  // groups of rows for the same reason: a sequence's logits, and so its beam
  // search, do not depend on how many sequences decode together.
  const bool row_per_sequence = x.rows == static_cast<int64_t>(context.sequences.size());
  if (context.packed || (x.rows > kMaxGemvRows && !row_per_sequence)) {
    run_matmul(context, x, output);
    return;
  }
  for (int64_t first = 0; first < x.rows; first += kMaxGemvRows) {
    const int64_t rows = std::min(kMaxGemvRows, x.rows - first);
    run_gemv(context, {x.row(first), rows, x.width}, {output.row(first), rows, output.width});
  }
}

// Every output is the same GEMV row kernel's, so a row's result does not
// depend on the thread split or on how many rows decode together.
void LinearOp::run_gemv(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  const int64_t row_bytes = static_cast<int64_t>(dtype_row_bytes(weight_.dtype(), k));
  // Whole groups of interleaved rows: a block ending inside a group would
  // compute that group twice.
  const int64_t granule = interleaved_ ? kernels::kInterleavedRows : 1;
  const int64_t block = std::max<int64_t>(1, kGemvBlockBytes / row_bytes / granule) * granule;
  const bool int8 = weight_.dtype() == DType::I8;
  const kernels::GemvRows gemv = kernels::active().gemv.for_dtype(weight_.dtype());
  const kernels::Int8Kernels& int8_kernels = kernels::active().int8;
  const kernels::BlockGemv* block_gemv = kernels::active().blocks.for_dtype(weight_.dtype());
  // Int8 and block weights: dynamic activation quantisation (one scale per
  // input row, or activation blocks), computed once and shared by every thread.
  const int64_t qx_stride = block_gemv ? static_cast<int64_t>(block_gemv->activation_row_bytes(k)) : k;
  context.state.require_quantized_rows(x.rows, qx_stride);
  int8_t* qx = context.state.quantized_rows();
  float* x_scales = context.state.quantized_row_scales();
  const auto quantize = [&](int64_t r) {
    if (int8) x_scales[r] = int8_kernels.quantize_row(x.row(r), qx + r * k, k);
    if (block_gemv) block_gemv->quantize_activations(x.row(r), qx + r * qx_stride, k);
  };
  const auto rows = [&](int64_t begin, int64_t end) {
    for (int64_t first = begin; first < end; first += block) {
      const int64_t last = std::min(end, first + block);
      if (block_gemv) {
        block_gemv->gemm_rows(kernel_weights(), qx, x.rows, y.data, y.width, first, last, k);
        continue;
      }
      for (int64_t r = 0; r < x.rows; ++r) {
        if (int8) {
          int8_kernels.gemv_rows(weight_.data_as<int8_t>(), weight_.row_scales()->data_as<float>(), qx + r * k,
                                 x_scales[r], y.row(r), first, last, k);
        } else {
          gemv(weight_.data(), x.row(r), y.row(r), first, last, k);
        }
      }
    }
  };
  // Prefill's rows are quantised by all threads (a row is one thread's
  // whole, so the codes do not depend on the split); a decode step's one row
  // is quantised before the region rather than behind a barrier of its own.
  const bool share_quantization = worth_parallel(n * k) && x.rows > 1;
  if (!share_quantization) {
    for (int64_t r = 0; r < x.rows; ++r) quantize(r);
  }
  if (!worth_parallel(n * k)) {
    rows(0, n);
  } else {
#pragma omp parallel
    {
      if (share_quantization) {
#pragma omp for schedule(static)
        for (int64_t r = 0; r < x.rows; ++r) quantize(r);
      }
      const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
      const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
      const int64_t begin = blocks * t / threads * kRowBlock;
      const int64_t end = std::min(n, blocks * (t + 1) / threads * kRowBlock);
      if (begin < end) rows(begin, end);
    }
  }
  if (bias_) {
    for (int64_t r = 0; r < x.rows; ++r) kernels::active().add(y.row(r), bias_->data_as<float>(), y.row(r), n);
  }
}

// oneDNN picks its kernels by the row count M, and rows that fall in an
// M-tail are summed in another order, so a row's result would depend on what
// else is in the batch. Products run in tiles of exactly kMatmulTileRows
// rows (the last one zero-padded), a size at which every row takes the same
// kernel (checked on AVX2 and AVX-512): a token's result is the same whatever
// the batch, and scores do not depend on --batch-size.
void LinearOp::run_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  // Block types always, and int8 without VNNI: the GEMV kernels, weights
  // never dequantised; exact int32 sums, so every row gets decode's result
  // whatever the batch. Block types take all rows in one pass: each block of
  // weight rows meets every input row while it is in cache, and the product
  // is one parallel region; int8 goes kMaxGemvRows rows at a time.
  const DType dtype = weight_.dtype();
  if (kernels::active().blocks.for_dtype(dtype)) return run_gemv(context, x, y);
  if (dtype == DType::I8 && !onednn_int8_matmul_is_exact()) {
    for (int64_t first = 0; first < x.rows; first += kMaxGemvRows) {
      const int64_t rows = std::min(kMaxGemvRows, x.rows - first);
      run_gemv(context, {x.row(first), rows, x.width}, {y.row(first), rows, y.width});
    }
    return;
  }
  const int64_t full_rows = x.rows / kMatmulTileRows * kMatmulTileRows;
  for (int64_t first = 0; first < full_rows; first += kMatmulTileRows) {
    run_matmul_tile(context, {x.row(first), kMatmulTileRows, x.width}, {y.row(first), kMatmulTileRows, y.width});
  }
  const int64_t rest = x.rows - full_rows;
  if (rest == 0) return;
  float* padded_x = context.state.step_buffer(kMatmulTileRows * (k + n));
  float* padded_y = padded_x + kMatmulTileRows * k;
  std::copy(x.row(full_rows), x.row(full_rows) + rest * k, padded_x);
  std::fill(padded_x + rest * k, padded_x + kMatmulTileRows * k, 0.0f);
  run_matmul_tile(context, {padded_x, kMatmulTileRows, k}, {padded_y, kMatmulTileRows, n});
  std::copy(padded_y, padded_y + rest * n, y.row(full_rows));
}

void LinearOp::run_matmul_tile(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  auto& primitives = context.state.linear_primitives();
  const float* bias = bias_ ? bias_->data_as<float>() : nullptr;
  if (bf16_matmul_weight_) return run_bf16_matmul(context, x, y);
  if (weight_.dtype() == DType::F32) {
    primitives.get(x.rows, k, n, bias != nullptr, n).run(context.state.stream(), x.data, weight_.data_as<float>(), bias, y.data);
    return;
  }
  if (weight_.dtype() == DType::I8) return run_int8_matmul(context, x, y);
  float* panel = context.state.weight_panel();
  const int64_t panel_rows = this->panel_rows();
  for (int64_t first = 0; first < n; first += panel_rows) {
    const int64_t rows = std::min(panel_rows, n - first);
#pragma omp parallel for
    for (int64_t r = 0; r < rows; ++r) widen_row(first + r, panel + r * k);
    primitives.get(x.rows, k, rows, bias != nullptr, n)
        .run(context.state.stream(), x.data, panel, bias ? bias + first : nullptr, y.data + first);
  }
}

void LinearOp::run_int8_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  SessionState& state = context.state;
  state.require_quantized_rows(x.rows, k);
  int8_t* qx = state.quantized_rows();
  float* x_scales = state.quantized_row_scales();
  const auto quantize_row = kernels::active().int8.quantize_row;
#pragma omp parallel for if (worth_parallel(x.rows * k))
  for (int64_t r = 0; r < x.rows; ++r) x_scales[r] = quantize_row(x.row(r), qx + r * k, k);
  state.int8_linear_primitives()
      .get(x.rows, k, n, false, n)
      .run(state.stream(), qx, weight_.data_as<int8_t>(), weight_.row_scales()->data_as<float>(), y.data);
  const auto& vector = kernels::active();
#pragma omp parallel for if (worth_parallel(x.rows * n))
  for (int64_t r = 0; r < x.rows; ++r) {
    vector.scale(y.row(r), x_scales[r], n);
    if (bias_) vector.add(y.row(r), bias_->data_as<float>(), y.row(r), n);
  }
}

// Bias and sums in f32; only the inputs of each product are rounded to bf16.
void LinearOp::run_bf16_matmul(const RunContext& context, const ActivationView& x, const ActivationView& y) const {
  const int64_t n = weight_.dim(0), k = weight_.dim(1);
  SessionState& state = context.state;
  uint16_t* x16 = state.bf16_rows();
#pragma omp parallel for if (worth_parallel(x.rows * k))
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int64_t i = 0; i < k; ++i) x16[r * k + i] = f32_to_bf16(x.row(r)[i]);
  }
  state.bf16_linear_primitives()
      .get(x.rows, k, n, bias_.has_value(), y.width)
      .run(state.stream(), x16, bf16_matmul_weight_->data_as<uint16_t>(), bias_ ? bias_->data_as<float>() : nullptr,
           y.data);
}

void LinearOp::widen_row(int64_t row, float* out) const {
  const int64_t k = weight_.dim(1);
  switch (weight_.dtype()) {
    case DType::F16: return kernels::active().f16_to_f32(weight_.data_as<uint16_t>() + row * k, out, k);
    case DType::BF16: return kernels::active().bf16_to_f32(weight_.data_as<uint16_t>() + row * k, out, k);
    default: throw std::logic_error("LinearOp: no widening for " + std::string(dtype_name(weight_.dtype())));
  }
}

}  // namespace attn
