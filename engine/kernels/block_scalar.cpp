// The scalar block kernels: the AVX2 kernels' exact sequence of operations
// (block_kernels.h), written one lane at a time, shared by the weight types
// through the functions reading their codes, scales and mins.
#include <algorithm>
#include <cmath>

#include "engine/kernels/block_gemv.h"
#include "engine/kernels/interleaved_blocks.h"
#include "engine/quant_blocks.h"
#include "engine/tensor.h"

namespace attn::kernels {
namespace {

// Blocks of 32 codes with one f16 scale and a min (Q4_1, Q5_1) times q8_0
// blocks: lane l sums the products of values 4l .. 4l + 3 of each block in
// int32. Q4_1's and Q5_1's mins, m * d_x * (sum of the block's activation
// codes), go into a sum of their own, added at the end.
template <typename Block, int (*code)(const Block&, int), float (*mins)(const Block&, const BlockQ8_0&)>
void gemv_blocks_of_32(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kBlockElements;
  const auto* activations = static_cast<const BlockQ8_0*>(x);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const Block* row = static_cast<const Block*>(w) + r * blocks;
    float lanes[8] = {}, min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      min_sum += mins(row[b], activations[b]);
      const float d = f16_to_f32(row[b].d) * f16_to_f32(activations[b].d);
      for (int lane = 0; lane < 8; ++lane) {
        int32_t sum = 0;
        for (int i = 4 * lane; i < 4 * lane + 4; ++i) sum += code(row[b], i) * activations[b].qs[i];
        lanes[lane] = std::fma(d, static_cast<float>(sum), lanes[lane]);
      }
    }
    y[r] = reduce_lanes_scalar(lanes) + min_sum;
  }
}

// The groups of interleaved rows (interleaved_blocks.h) that [row_begin,
// row_end) touches: group_dot(group, lanes) sets the eight rows' results,
// and those in the range are stored.
template <typename Record, typename GroupDot>
void for_interleaved_groups(const void* w, float* y, int64_t row_begin, int64_t row_end, int64_t blocks,
                            GroupDot group_dot) {
  for (int64_t g = row_begin / kInterleavedRows; g * kInterleavedRows < row_end; ++g) {
    float lanes[kInterleavedRows] = {};
    group_dot(static_cast<const Record*>(w) + g * blocks, lanes);
    for (int j = 0; j < kInterleavedRows; ++j) {
      const int64_t r = g * kInterleavedRows + j;
      if (r >= row_begin && r < row_end) y[r] = lanes[j];
    }
  }
}

// Interleaved Q4_0 and Q8_0 groups (interleaved_blocks.h) times q8_0
// blocks (BlockQ8_0Sum, whose sums only the SIMD kernels need): each row's
// exact int32 block sum, then one fma per block by d_w * d_x. Every row of a group touched by [row_begin, row_end) is
// computed; only those in the range are stored.
template <typename Record, int (*code)(const Record&, int lane, int i)>
void gemv_interleaved(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kBlockElements;
  const auto* activations = static_cast<const BlockQ8_0Sum*>(x);
  for_interleaved_groups<Record>(w, y, row_begin, row_end, blocks, [&](const Record* group, float* acc) {
    for (int64_t b = 0; b < blocks; ++b) {
      const float dx = activations[b].d;
      for (int j = 0; j < kInterleavedRows; ++j) {
        int32_t sum = 0;
        for (int i = 0; i < kBlockElements; ++i) sum += code(group[b], j, i) * activations[b].qs[i];
        acc[j] = std::fma(static_cast<float>(sum), f16_to_f32(group[b].d[j]) * dx, acc[j]);
      }
    }
  });
}

// Interleaved Q4_K groups times q8_K blocks: per row, the exact int32 sum
// of sub-block scale x code x activation and of min x the sub-block's
// activation sum (q8_K's two bsums), each added with one fma by its scale
// product; the mins' sum is subtracted at the end.
void gemv_q4_k_interleaved(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  for_interleaved_groups<BlockQ4_Kx8>(w, y, row_begin, row_end, blocks, [&](const BlockQ4_Kx8* group, float* lanes) {
    float acc[kInterleavedRows] = {}, min_acc[kInterleavedRows] = {};
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockQ4_Kx8& record = group[b];
      const BlockQ8_K& a = activations[b];
      for (int j = 0; j < kInterleavedRows; ++j) {
        int32_t sum = 0, mins = 0;
        for (int i = 0; i < kSuperBlockElements; ++i) sum += record.scales[i / 32][j] * q4_kx8_code(record, j, i) * a.qs[i];
        for (int s = 0; s < 8; ++s) mins += record.mins[s / 2][j][s % 2] * (a.bsums[2 * s] + a.bsums[2 * s + 1]);
        acc[j] = std::fma(static_cast<float>(sum), f16_to_f32(record.d[j]) * a.d, acc[j]);
        min_acc[j] = std::fma(static_cast<float>(mins), f16_to_f32(record.dmin[j]) * a.d, min_acc[j]);
      }
    }
    for (int j = 0; j < kInterleavedRows; ++j) lanes[j] = acc[j] - min_acc[j];
  });
}

// Interleaved Q6_K groups times q8_K blocks: per row, the exact int32 sum
// of scale x (code - 32) x activation, added with one fma by d_w * d_x.
void gemv_q6_k_interleaved(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  for_interleaved_groups<BlockQ6_Kx8>(w, y, row_begin, row_end, blocks, [&](const BlockQ6_Kx8* group, float* acc) {
    for (int64_t b = 0; b < blocks; ++b) {
      const BlockQ6_Kx8& record = group[b];
      const BlockQ8_K& a = activations[b];
      for (int j = 0; j < kInterleavedRows; ++j) {
        int32_t sum = 0;
        for (int i = 0; i < kSuperBlockElements; ++i) {
          sum += record.scales[i / 32][j][i / 16 % 2] * (q6_kx8_code(record, j, i) - 32) * a.qs[i];
        }
        acc[j] = std::fma(static_cast<float>(sum), f16_to_f32(record.d[j]) * a.d, acc[j]);
      }
    }
  });
}

int q4_1_code(const BlockQ4_1& b, int i) { return i < 16 ? b.qs[i] & 15 : b.qs[i - 16] >> 4; }
int q5_1_code(const BlockQ5_1& b, int i) { return q5_1_value(b, i); }

// A super-block's scale: f16, or Q8_K's f32.
float super_block_scale(uint16_t d) { return f16_to_f32(d); }
float super_block_scale(float d) { return d; }

// Super-blocks of 256 (Q5_K, Q8_K, IQ4_XS) times q8_K blocks: lane l sums
// scale(i) * code(i) * q(i) over values i = 32 v + 4 l .. + 3 of the eight
// vectors v of 32 in int32, then adds it times d_w * d_x; Q5_K's mins,
// dmin * sum of min_j * (the activations of sub-block j), go into a sum of
// their own, subtracted at the end.
template <typename Block, int (*code)(const Block&, int), int (*scale)(const Block&, int), float (*mins)(const Block&, const BlockQ8_K&)>
void gemv_super_blocks(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  const int64_t blocks = k / kSuperBlockElements;
  const auto* activations = static_cast<const BlockQ8_K*>(x);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const Block* row = static_cast<const Block*>(w) + r * blocks;
    float lanes[8] = {}, min_sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      int32_t sums[8] = {};
      for (int i = 0; i < kSuperBlockElements; ++i) {
        sums[i % 32 / 4] += scale(row[b], i) * code(row[b], i) * activations[b].qs[i];
      }
      const float d = super_block_scale(row[b].d) * activations[b].d;
      for (int lane = 0; lane < 8; ++lane) lanes[lane] = std::fma(d, static_cast<float>(sums[lane]), lanes[lane]);
      min_sum += mins(row[b], activations[b]);
    }
    y[r] = reduce_lanes_scalar(lanes) - min_sum;
  }
}

int q5_k_code(const BlockQ5_K& b, int i) { return q5_k_value(b, i); }
int q5_k_scale(const BlockQ5_K& b, int i) {
  uint8_t sc, m;
  q4_k_scale_min(b.scales, i / 32, sc, m);
  return sc;
}

// Q5_K's min term (its scales and mins are packed as Q4_K's).
template <typename Block>
float super_block_mins(const Block& b, const BlockQ8_K& x) {
  int32_t sum = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    q4_k_scale_min(b.scales, j, sc, m);
    sum += m * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return f16_to_f32(b.dmin) * x.d * static_cast<float>(sum);
}

template <typename Block>
float no_mins(const Block&, const BlockQ8_K&) {
  return 0.f;
}

int q8_k_code(const BlockQ8_K& b, int i) { return b.qs[i]; }
int q8_k_scale(const BlockQ8_K&, int) { return 1; }

int iq4_xs_code(const BlockIQ4_XS& b, int i) { return kIq4NlValues[iq4_xs_index(b, i)]; }
int iq4_xs_scale_of(const BlockIQ4_XS& b, int i) { return iq4_xs_scale(b, i / 32) - 32; }

// Q4_1's and Q5_1's min term.
template <typename Block>
float offset_mins(const Block& b, const BlockQ8_0& x) {
  int32_t sum = 0;
  for (int i = 0; i < kBlockElements; ++i) sum += x.qs[i];
  return f16_to_f32(b.m) * f16_to_f32(x.d) * static_cast<float>(sum);
}

}  // namespace

float q4_1_mins(const BlockQ4_1& b, const BlockQ8_0& x) { return offset_mins(b, x); }
float q5_1_mins(const BlockQ5_1& b, const BlockQ8_0& x) { return offset_mins(b, x); }
float q5_k_mins(const BlockQ5_K& b, const BlockQ8_K& x) { return super_block_mins(b, x); }

void gemv_q4_0_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_interleaved<BlockQ4_0x8, q4_0x8_code>(w, x, y, row_begin, row_end, k);
}
void gemv_q4_1_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_blocks_of_32<BlockQ4_1, q4_1_code, q4_1_mins>(w, x, y, row_begin, row_end, k);
}
void gemv_q5_1_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_blocks_of_32<BlockQ5_1, q5_1_code, q5_1_mins>(w, x, y, row_begin, row_end, k);
}
void gemv_q8_0_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_interleaved<BlockQ8_0x8, q8_0x8_code>(w, x, y, row_begin, row_end, k);
}
void gemv_q4_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_q4_k_interleaved(w, x, y, row_begin, row_end, k);
}
void gemv_q5_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_super_blocks<BlockQ5_K, q5_k_code, q5_k_scale, q5_k_mins>(w, x, y, row_begin, row_end, k);
}
void gemv_q6_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_q6_k_interleaved(w, x, y, row_begin, row_end, k);
}
void gemv_q8_k_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_super_blocks<BlockQ8_K, q8_k_code, q8_k_scale, no_mins<BlockQ8_K>>(w, x, y, row_begin, row_end, k);
}
void gemv_iq4_xs_scalar(const void* w, const void* x, float* y, int64_t row_begin, int64_t row_end, int64_t k) {
  gemv_super_blocks<BlockIQ4_XS, iq4_xs_code, iq4_xs_scale_of, no_mins<BlockIQ4_XS>>(w, x, y, row_begin, row_end, k);
}

void quantize_q8_0_activations_scalar(const float* x, void* blocks, int64_t k) {
  auto* out = static_cast<BlockQ8_0*>(blocks);
  for (int64_t b = 0; b < k / kBlockElements; ++b) {
    const float* v = x + b * kBlockElements;
    float amax = 0.f;
    for (int j = 0; j < kBlockElements; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float inverse = amax != 0.f ? 127.f / amax : 0.f;
    out[b].d = f32_to_f16(amax / 127.f);
    for (int j = 0; j < kBlockElements; ++j) out[b].qs[j] = static_cast<int8_t>(std::nearbyint(v[j] * inverse));
  }
}

void quantize_q8_k_activations(const float* x, void* blocks, int64_t k) {
  quantize_q8_k(x, static_cast<BlockQ8_K*>(blocks), k);
}

}  // namespace attn::kernels
