// ggml's K-quant reference (de)quantisers (quantize_row_q4_K_ref,
// quantize_row_q6_K_ref, quantize_row_q8_K_ref), written from their
// algorithm with the same float operations in the same order, so that the
// bytes match ggml's.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/quant_blocks.h"
#include "engine/tensor.h"

namespace attn {
namespace {

// ggml's nearest_int: round half to even (valid below 2^22 in magnitude;
// anything else, NaN included, would be garbage in ggml too and is 0 here).
int nearest_int(float v) { return std::fabs(v) <= 4194303.f ? static_cast<int>(std::nearbyint(v)) : 0; }

// ggml's make_qkx2_quants without mean-absolute-deviation: codes L in
// [0, nmax] and a scale and min (returned, and in *the_min as a positive
// offset) minimising the `weights`-weighted squared error of
// scale * L - min, trying the grids (rmin + rdelta * is + nmax) / (max - min).
float fit_scale_and_min(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                        uint8_t* Laux, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(L, L + n, 0);
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * (diff * diff);
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * Laux[i] + this_min - x[i];
        error += weights[i] * (diff * diff);
      }
      if (error < best_error) {
        std::copy(Laux, Laux + n, L);
        best_error = error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// ggml's make_qx_quants with rmse_type 1: signed codes L + nmax in
// [0, 2 nmax) and the scale (returned) of the best of 19 grids by
// x^2-weighted squared error.
float fit_symmetric_scale(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax < 1e-15f) {  // ggml's GROUP_MAX_EPS: all zero
    std::fill(L, L + n, 0);
    return 0.f;
  }
  const auto code = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = code(iscale, i);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = code(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(nmax + code(iscale, i));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

void quantize_q4_k(const float* x, BlockQ4_K* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b, x += kSuperBlockElements) {
    BlockQ4_K& y = blocks[b];
    uint8_t L[256], Laux[32];
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      // Errors weighted by |x| plus the sub-block's RMS.
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] = fit_scale_and_min(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
      const auto ls = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
      const auto lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
      if (j < 4) {
        y.scales[j] = ls;
        y.scales[j + 4] = lm;
      } else {
        y.scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        y.scales[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
        y.scales[j] |= static_cast<uint8_t>((lm >> 4) << 6);
      }
    }
    y.d = f32_to_f16(max_scale / 63.f);
    y.dmin = f32_to_f16(max_min / 63.f);
    // The codes again, against the scales as stored.
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      q4_k_scale_min(y.scales, j, sc, m);
      const float d = f16_to_f32(y.d) * sc;
      if (d == 0) continue;
      const float dm = f16_to_f32(y.dmin) * m;
      for (int i = 0; i < 32; ++i) {
        L[32 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / d), 0, 15));
      }
    }
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) y.qs[32 * g + l] = static_cast<uint8_t>(L[64 * g + l] | (L[64 * g + l + 32] << 4));
    }
  }
}

void quantize_q6_k(const float* x, BlockQ6_K* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b, x += kSuperBlockElements) {
    BlockQ6_K& y = blocks[b];
    int8_t L[256];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int s = 0; s < 16; ++s) {
      scales[s] = fit_symmetric_scale(16, 32, x + 16 * s, L + 16 * s);
      if (std::fabs(scales[s]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    if (max_abs_scale < 1e-15f) {
      std::memset(&y, 0, sizeof(y));
      continue;
    }
    const float iscale = -128.f / max_scale;
    y.d = f32_to_f16(1 / iscale);
    for (int s = 0; s < 16; ++s) y.scales[s] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[s])));
    for (int s = 0; s < 16; ++s) {
      const float d = f16_to_f32(y.d) * y.scales[s];
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i) {
        L[16 * s + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * s + i] / d), -32, 31) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const int8_t* q = L + 128 * half;
      for (int l = 0; l < 32; ++l) {
        y.ql[64 * half + l] = static_cast<uint8_t>((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
        y.ql[64 * half + l + 32] = static_cast<uint8_t>((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
        y.qh[32 * half + l] =
            static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

void quantize_q8_k(const float* x, BlockQ8_K* blocks, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b, x += kSuperBlockElements) {
    BlockQ8_K& y = blocks[b];
    float max = 0, amax = 0;
    for (int j = 0; j < 256; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (amax == 0) {
      std::memset(&y, 0, sizeof(y));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < 256; ++j) y.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += y.qs[16 * j + i];
      y.bsums[j] = static_cast<int16_t>(sum);
    }
    y.d = 1 / iscale;
  }
}

void dequantize_q4_k(const BlockQ4_K* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d), dmin = f16_to_f32(blocks[b].dmin);
    for (int i = 0; i < 256; ++i) {
      uint8_t sc, m;
      q4_k_scale_min(blocks[b].scales, i / 32, sc, m);
      out[256 * b + i] = d * sc * static_cast<float>(q4_k_value(blocks[b], i)) - dmin * m;
    }
  }
}

// ggml's dequantize_row_q5_K: (d * scale) * q - dmin * min, as for Q4_K.
void dequantize_q5_k(const BlockQ5_K* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d), dmin = f16_to_f32(blocks[b].dmin);
    for (int i = 0; i < 256; ++i) {
      uint8_t sc, m;
      q4_k_scale_min(blocks[b].scales, i / 32, sc, m);
      out[256 * b + i] = d * sc * static_cast<float>(q5_k_value(blocks[b], i)) - dmin * m;
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int i = 0; i < 256; ++i) {
      out[256 * b + i] = d * blocks[b].scales[i / 16] * static_cast<float>(q6_k_value(blocks[b], i) - 32);
    }
  }
}

// ggml's dequantize_row_q8_K: d * q, d in f32.
void dequantize_q8_k(const BlockQ8_K* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    for (int i = 0; i < 256; ++i) out[256 * b + i] = blocks[b].d * static_cast<float>(blocks[b].qs[i]);
  }
}

// ggml's dequantize_row_iq4_xs: (d * (scale - 32)) * table value.
void dequantize_iq4_xs(const BlockIQ4_XS* blocks, float* out, int64_t k) {
  for (int64_t b = 0; b < k / kSuperBlockElements; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int i = 0; i < 256; ++i) {
      const float dl = d * static_cast<float>(iq4_xs_scale(blocks[b], i / 32) - 32);
      out[256 * b + i] = dl * static_cast<float>(kIq4NlValues[iq4_xs_index(blocks[b], i)]);
    }
  }
}

}  // namespace attn
