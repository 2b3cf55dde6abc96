// Kernels that reduce along axes: ReduceMean/Sum/Max, Softmax, LogSoftmax,
// the normalizations (LayerNormalization and ORT's contrib RMS/Skip forms), CumSum.
#include <algorithm>
#include <cmath>
#include <limits>

#include "attn/error.h"
#include "engine/interpreter/broadcast.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {
namespace {

// Splits `shape` around `axis` into [outer, n, inner] element counts.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at(const Shape& shape, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    (d < axis ? s.outer : d == axis ? s.n : s.inner) *= shape[d];
  }
  return s;
}

// ---- ReduceMean / ReduceSum / ReduceMax -----------------------------------

enum class Reduce { Mean, Sum, Max };

template <Reduce op>
Kernel make_reduce(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const bool keepdims = node.get_int("keepdims", 1) != 0;
  const bool noop_with_empty_axes = node.get_int("noop_with_empty_axes", 0) != 0;
  // ReduceSum took axes as an input from opset 13, the others from opset 18.
  const bool axes_from_input = opset >= (op == Reduce::Sum ? 13 : 18);
  const std::optional<std::vector<int64_t>> attr_axes = node.get_ints("axes");
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    std::vector<int64_t> axes;
    if (axes_from_input) {
      if (const Array* a = optional_input(in, 1)) axes = a->to_i64s();
    } else if (attr_axes) {
      axes = *attr_axes;
    }
    if (axes.empty() && noop_with_empty_axes) return std::vector<Array>{x};
    std::vector<bool> reduced(x.rank(), axes.empty());
    for (int64_t a : axes) reduced[normalize_axis(a, x.rank(), name)] = true;

    Shape kept = x.shape(), out_shape;
    int64_t count = 1;
    for (int d = 0; d < x.rank(); ++d) {
      if (reduced[d]) {
        count *= x.shape()[d];
        kept[d] = 1;
        if (keepdims) out_shape.push_back(1);
      } else {
        out_shape.push_back(x.shape()[d]);
      }
    }
    Array out(x.type(), out_shape);
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        throw Error(name + ": reductions of bool tensors are not defined");
      } else {
        using Acc = std::conditional_t<is_float_like_v<T>, double, Compute<T>>;
        const Acc init = op == Reduce::Max ? std::numeric_limits<Acc>::lowest() : Acc(0);
        if (op == Reduce::Max && count == 0) throw Error(name + ": ReduceMax over an empty axis");
        std::vector<Acc> acc(static_cast<size_t>(out.numel()), init);
        const std::array<std::vector<int64_t>, 1> strides{broadcast_strides(kept, x.shape())};
        const T* px = x.as<T>();
        for_each_broadcast(x.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& at) {
          const Acc v = static_cast<Acc>(static_cast<Compute<T>>(px[i]));
          Acc& a = acc[at[0]];
          if constexpr (op == Reduce::Max) {
            a = (v > a || v != v) ? v : a;
          } else {
            a += v;
          }
        });
        T* po = out.mutable_as<T>();
        for (size_t i = 0; i < acc.size(); ++i) {
          const Acc v = op == Reduce::Mean ? acc[i] / static_cast<Acc>(count) : acc[i];
          po[i] = T(static_cast<Compute<T>>(v));
        }
      }
    });
    return std::vector<Array>{out};
  };
}

// ---- Softmax / LogSoftmax ----------------------------------------------------

template <bool log_form>
Kernel make_softmax(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  // Before opset 13 the input was flattened to 2-D at `axis` (default 1).
  const bool flatten = opset < 13;
  const int64_t axis_attr = node.get_int("axis", flatten ? 1 : -1);
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    if (!is_floating(x.type())) throw Error(name + ": expects a float tensor, got " + x.describe());
    if (x.rank() == 0) throw Error(name + ": expects a tensor of rank >= 1");
    const int64_t axis = normalize_axis(axis_attr, x.rank(), name);
    AxisSplit s = split_at(x.shape(), axis);
    if (flatten) {
      s.n *= s.inner;
      s.inner = 1;
    }
    Array out(x.type(), x.shape());
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (is_float_like_v<T>) {
        using C = Compute<T>;
        const T* px = x.as<T>();
        T* po = out.mutable_as<T>();
        for (int64_t o = 0; o < s.outer; ++o) {
          for (int64_t i = 0; i < s.inner; ++i) {
            const int64_t base = o * s.n * s.inner + i;
            C max = -std::numeric_limits<C>::infinity();
            for (int64_t k = 0; k < s.n; ++k) max = std::max(max, C(px[base + k * s.inner]));
            C sum = 0;
            for (int64_t k = 0; k < s.n; ++k) sum += std::exp(C(px[base + k * s.inner]) - max);
            for (int64_t k = 0; k < s.n; ++k) {
              const C shifted = C(px[base + k * s.inner]) - max;
              po[base + k * s.inner] = T(log_form ? shifted - std::log(sum) : std::exp(shifted) / sum);
            }
          }
        }
      }
    });
    return std::vector<Array>{out};
  };
}

// ---- normalizations -------------------------------------------------------

// Normalizes each row of `x` (rows = elements before `axis`) by its mean and
// variance (LayerNorm) or its root mean square (RMSNorm), then scales and
// shifts with `scale`/`bias` broadcast to the row. Returns Y, Mean, InvStdDev.
std::vector<Array> normalize_rows(const Array& x, int64_t axis, float epsilon, bool rms, const Array& scale,
                                  const Array* bias, const std::string& name) {
  if (!is_floating(x.type())) throw Error(name + ": expects a float tensor, got " + x.describe());
  const AxisSplit s = split_at(x.shape(), axis);
  const int64_t width = s.n * s.inner;
  const int64_t rows = s.outer;
  const Shape row_shape(x.shape().begin() + axis, x.shape().end());
  for (const Array* p : {&scale, bias}) {
    if (p && broadcast_shapes(p->shape(), row_shape, name) != row_shape) {
      throw Error(name + ": scale/bias " + p->describe() + " do not broadcast to rows of " + shape_to_string(row_shape));
    }
    if (p && p->type() != x.type()) throw Error(name + ": scale/bias type differs from the input's");
  }
  Shape stat_shape(x.shape().begin(), x.shape().begin() + axis);
  stat_shape.resize(x.shape().size(), 1);
  Array y(x.type(), x.shape()), mean(DType::F32, stat_shape), inv_std(DType::F32, stat_shape);
  const std::array<std::vector<int64_t>, 1> scale_strides{broadcast_strides(scale.shape(), row_shape)};
  const std::array<std::vector<int64_t>, 1> bias_strides{
      broadcast_strides(bias ? bias->shape() : Shape{}, row_shape)};
  visit_type(x.type(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_float_like_v<T>) {
      for (int64_t r = 0; r < rows; ++r) {
        const T* px = x.as<T>() + r * width;
        double sum = 0, sum_sq = 0;
        for (int64_t k = 0; k < width; ++k) {
          const double v = static_cast<double>(static_cast<Compute<T>>(px[k]));
          sum += v;
          sum_sq += v * v;
        }
        const double mu = rms || width == 0 ? 0.0 : sum / width;
        const double var = width == 0 ? 0.0 : (rms ? sum_sq / width : std::max(0.0, sum_sq / width - mu * mu));
        const double inv = 1.0 / std::sqrt(var + epsilon);
        mean.mutable_as<float>()[r] = static_cast<float>(mu);
        inv_std.mutable_as<float>()[r] = static_cast<float>(inv);
        T* py = y.mutable_as<T>() + r * width;
        for_each_broadcast(row_shape, scale_strides, [&](int64_t k, const std::array<int64_t, 1>& at) {
          double v = (static_cast<double>(static_cast<Compute<T>>(px[k])) - mu) * inv *
                     static_cast<double>(static_cast<Compute<T>>(scale.as<T>()[at[0]]));
          py[k] = T(static_cast<Compute<T>>(v));
        });
        if (bias) {
          for_each_broadcast(row_shape, bias_strides, [&](int64_t k, const std::array<int64_t, 1>& at) {
            py[k] = T(static_cast<Compute<T>>(py[k]) + static_cast<Compute<T>>(bias->as<T>()[at[0]]));
          });
        }
      }
    }
  });
  return {y, mean, inv_std};
}

// LayerNormalization (opset 17) and SimplifiedLayerNormalization (ORT's RMSNorm).
template <bool rms>
Kernel make_layer_norm(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t axis_attr = node.get_int("axis", -1);
  const float epsilon = node.get_float("epsilon", 1e-5f);
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const int64_t axis = normalize_axis(axis_attr, x.rank(), name);
    return normalize_rows(x, axis, epsilon, rms, required_input(in, 1, name), rms ? nullptr : optional_input(in, 2),
                          name);
  };
}

// com.microsoft Skip(Simplified)LayerNormalization: norm(input + skip + bias)
// over the last axis; outputs Y, mean, inv_std_var, input_skip_bias_sum.
template <bool rms>
Kernel make_skip_layer_norm(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const float epsilon = node.get_float("epsilon", 1e-12f);
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const Array& skip = required_input(in, 1, name);
    const Array& gamma = required_input(in, 2, name);
    const Array* beta = rms ? nullptr : optional_input(in, 3);
    const Array* bias = optional_input(in, rms ? 3 : 4);
    Array sum = add_arrays(x, skip, name);
    if (bias) sum = add_arrays(sum, *bias, name);
    if (sum.rank() == 0) throw Error(name + ": expects a tensor of rank >= 1");
    std::vector<Array> out = normalize_rows(sum, sum.rank() - 1, epsilon, rms, gamma, beta, name);
    out.push_back(sum);
    return out;
  };
}

Kernel make_cumsum(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const bool exclusive = node.get_int("exclusive", 0) != 0;
  const bool reverse = node.get_int("reverse", 0) != 0;
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    const std::vector<int64_t> axis_values = required_input(in, 1, name).to_i64s();
    if (axis_values.size() != 1) throw Error(name + ": axis must be a scalar");
    const AxisSplit s = split_at(x.shape(), normalize_axis(axis_values[0], x.rank(), name));
    Array out(x.type(), x.shape());
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        throw Error(name + ": CumSum of bool tensors is not defined");
      } else {
        using C = Compute<T>;
        for (int64_t o = 0; o < s.outer; ++o) {
          for (int64_t i = 0; i < s.inner; ++i) {
            C running = 0;
            for (int64_t step = 0; step < s.n; ++step) {
              const int64_t k = reverse ? s.n - 1 - step : step;
              const int64_t at = (o * s.n + k) * s.inner + i;
              const C v = C(x.as<T>()[at]);
              if (!exclusive) running += v;
              out.mutable_as<T>()[at] = T(running);
              if (exclusive) running += v;
            }
          }
        }
      }
    });
    return std::vector<Array>{out};
  };
}

}  // namespace

void register_reduction_kernels(KernelTable& t) {
  t[":ReduceMean"] = make_reduce<Reduce::Mean>;
  t[":ReduceSum"] = make_reduce<Reduce::Sum>;
  t[":ReduceMax"] = make_reduce<Reduce::Max>;
  t[":Softmax"] = make_softmax<false>;
  t[":LogSoftmax"] = make_softmax<true>;
  t[":LayerNormalization"] = make_layer_norm<false>;
  // ORT writes SimplifiedLayerNormalization in the default domain.
  t[":SimplifiedLayerNormalization"] = make_layer_norm<true>;
  t["com.microsoft:SimplifiedLayerNormalization"] = make_layer_norm<true>;
  t["com.microsoft:SkipLayerNormalization"] = make_skip_layer_norm<false>;
  t["com.microsoft:SkipSimplifiedLayerNormalization"] = make_skip_layer_norm<true>;
  t[":CumSum"] = make_cumsum;
}

}  // namespace attn::interpreter
