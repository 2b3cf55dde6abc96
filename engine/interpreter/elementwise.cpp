// Element-wise kernels: unary math, broadcasting arithmetic and comparisons,
// logic, Where, Clip, Cast, and the contrib GELU forms of ORT-optimized files.
#include <cmath>
#include <limits>

#include "attn/error.h"
#include "engine/interpreter/broadcast.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {
namespace {

void require_same_type(const Array& a, const Array& b, const std::string& node) {
  if (a.type() != b.type()) throw Error(node + ": input types differ (" + a.describe() + " and " + b.describe() + ")");
}

// out[i] = f(a[i], b[i]) with broadcasting; A, B input and R output storage types.
template <typename A, typename B, typename R, typename F>
void binary_loop(const Array& a, const Array& b, Array& out, F f) {
  const A* pa = a.as<A>();
  const B* pb = b.as<B>();
  R* po = out.mutable_as<R>();
  if (a.shape() == b.shape()) {
    for (int64_t i = 0; i < out.numel(); ++i) po[i] = R(f(Compute<A>(pa[i]), Compute<B>(pb[i])));
    return;
  }
  const std::array<std::vector<int64_t>, 2> strides{broadcast_strides(a.shape(), out.shape()),
                                                     broadcast_strides(b.shape(), out.shape())};
  for_each_broadcast(out.shape(), strides, [&](int64_t i, const std::array<int64_t, 2>& at) {
    po[i] = R(f(Compute<A>(pa[at[0]]), Compute<B>(pb[at[1]])));
  });
}

// ---- unary ---------------------------------------------------------------

using UnaryFn = double (*)(double);

template <typename F>
Array map_floats(const Array& x, const std::string& node, F f) {
  Array out(x.type(), x.shape());
  bool handled = false;
  visit_type(x.type(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_float_like_v<T>) {
      const T* in = x.as<T>();
      T* o = out.mutable_as<T>();
      for (int64_t i = 0; i < x.numel(); ++i) o[i] = T(f(Compute<T>(in[i])));
      handled = true;
    }
  });
  if (!handled) throw Error(node + ": expects a float tensor, got " + x.describe());
  return out;
}

template <typename F>
Kernel float_unary(const NodeIR& node, F f) {
  const std::string name = node.describe();
  return [name, f](Inputs in) { return std::vector<Array>{map_floats(required_input(in, 0, name), name, f)}; };
}

template <typename C>
C sigmoid(C x) { return C(1) / (C(1) + std::exp(-x)); }
template <typename C>
C gelu_erf(C x) { return C(0.5) * x * (C(1) + std::erf(x * C(0.70710678118654752440))); }
template <typename C>
C gelu_tanh(C x) { return C(0.5) * x * (C(1) + std::tanh(C(0.7978845608028654) * (x + C(0.044715) * x * x * x))); }

Kernel make_sqrt(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::sqrt(x); }); }
Kernel make_erf(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::erf(x); }); }
Kernel make_tanh(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::tanh(x); }); }
Kernel make_exp(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::exp(x); }); }
Kernel make_log(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::log(x); }); }
Kernel make_cos(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::cos(x); }); }
Kernel make_sin(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return std::sin(x); }); }
Kernel make_sigmoid(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return sigmoid(x); }); }
Kernel make_relu(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return x > 0 ? x : decltype(x)(0); }); }
Kernel make_reciprocal(const NodeIR& n, int64_t) {
  return float_unary(n, [](auto x) { return decltype(x)(1) / x; });
}
Kernel make_gelu(const NodeIR& n, int64_t) { return float_unary(n, [](auto x) { return gelu_erf(x); }); }
Kernel make_quick_gelu(const NodeIR& n, int64_t) {
  const float alpha = n.get_float("alpha", 1.702f);
  return float_unary(n, [alpha](auto x) { return x * sigmoid(decltype(x)(alpha) * x); });
}

// Neg and Abs also apply to signed integers.
template <typename F>
Kernel signed_unary(const NodeIR& node, F f) {
  const std::string name = node.describe();
  return [name, f](Inputs in) {
    const Array& x = required_input(in, 0, name);
    Array out(x.type(), x.shape());
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
        throw Error(name + ": expects a float or signed integer tensor, got " + x.describe());
      } else {
        for (int64_t i = 0; i < x.numel(); ++i) out.mutable_as<T>()[i] = T(f(Compute<T>(x.as<T>()[i])));
      }
    });
    return std::vector<Array>{out};
  };
}
Kernel make_neg(const NodeIR& n, int64_t) { return signed_unary(n, [](auto x) { return -x; }); }
Kernel make_abs(const NodeIR& n, int64_t) { return signed_unary(n, [](auto x) { return x < 0 ? -x : x; }); }

Kernel make_not(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& x = required_input(in, 0, name);
    if (x.type() != DType::Bool) throw Error(name + ": expects a bool tensor, got " + x.describe());
    Array out(DType::Bool, x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) out.mutable_as<bool>()[i] = !x.as<bool>()[i];
    return std::vector<Array>{out};
  };
}

// ---- binary --------------------------------------------------------------

enum class Arith { Add, Sub, Mul, Div, Max, Min };

Array arithmetic(Arith op, const Array& a, const Array& b, const std::string& name) {
  require_same_type(a, b, name);
  Array out(a.type(), broadcast_shapes(a.shape(), b.shape(), name));
  visit_type(a.type(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw Error(name + ": arithmetic on bool tensors is not defined");
    } else {
      using C = Compute<T>;
      switch (op) {
        case Arith::Add: binary_loop<T, T, T>(a, b, out, [](C x, C y) { return x + y; }); break;
        case Arith::Sub: binary_loop<T, T, T>(a, b, out, [](C x, C y) { return x - y; }); break;
        case Arith::Mul: binary_loop<T, T, T>(a, b, out, [](C x, C y) { return x * y; }); break;
        // NaN propagates, as numpy.maximum / minimum do (x != x only for NaN).
        case Arith::Max: binary_loop<T, T, T>(a, b, out, [](C x, C y) { return x != x ? x : (y != y || x < y) ? y : x; }); break;
        case Arith::Min: binary_loop<T, T, T>(a, b, out, [](C x, C y) { return x != x ? x : (y != y || y < x) ? y : x; }); break;
        case Arith::Div:
          binary_loop<T, T, T>(a, b, out, [&](C x, C y) {
            if constexpr (std::is_integral_v<C>) {
              if (y == 0) throw Error(name + ": integer division by zero");
            }
            return x / y;
          });
          break;
      }
    }
  });
  return out;
}

template <Arith op>
Kernel make_arithmetic(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    return std::vector<Array>{arithmetic(op, required_input(in, 0, name), required_input(in, 1, name), name)};
  };
}

// Max and Min take one or more inputs.
template <Arith op>
Kernel make_variadic(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    Array result = required_input(in, 0, name);
    for (size_t i = 1; i < in.size(); ++i) result = arithmetic(op, result, required_input(in, i, name), name);
    return std::vector<Array>{result};
  };
}

// Pow: the exponent may have another type than the base; the result has the base's.
Kernel make_pow(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& a = required_input(in, 0, name);
    const Array& b = required_input(in, 1, name);
    Array out(a.type(), broadcast_shapes(a.shape(), b.shape(), name));
    visit_type(a.type(), [&](auto base_tag) {
      visit_type(b.type(), [&](auto exp_tag) {
        using A = decltype(base_tag);
        using B = decltype(exp_tag);
        if constexpr (std::is_same_v<A, bool> || std::is_same_v<B, bool>) {
          throw Error(name + ": Pow on bool tensors is not defined");
        } else {
          binary_loop<A, B, A>(a, b, out, [](auto x, auto y) {
            // Square is common (RMSNorm, variance): exact and fast.
            if (y == 2) return Compute<A>(x * x);
            return Compute<A>(std::pow(static_cast<double>(x), static_cast<double>(y)));
          });
        }
      });
    });
    return std::vector<Array>{out};
  };
}

enum class Compare { Equal, Less, Greater, LessOrEqual, GreaterOrEqual };

template <Compare op>
Kernel make_compare(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& a = required_input(in, 0, name);
    const Array& b = required_input(in, 1, name);
    require_same_type(a, b, name);
    Array out(DType::Bool, broadcast_shapes(a.shape(), b.shape(), name));
    visit_type(a.type(), [&](auto tag) {
      using T = decltype(tag);
      binary_loop<T, T, bool>(a, b, out, [](auto x, auto y) {
        switch (op) {
          case Compare::Equal: return x == y;
          case Compare::Less: return x < y;
          case Compare::Greater: return x > y;
          case Compare::LessOrEqual: return x <= y;
          case Compare::GreaterOrEqual: return x >= y;
        }
        return false;
      });
    });
    return std::vector<Array>{out};
  };
}

enum class Logic { And, Or, Xor };

template <Logic op>
Kernel make_logic(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& a = required_input(in, 0, name);
    const Array& b = required_input(in, 1, name);
    if (a.type() != DType::Bool || b.type() != DType::Bool) {
      throw Error(name + ": expects bool tensors, got " + a.describe() + " and " + b.describe());
    }
    Array out(DType::Bool, broadcast_shapes(a.shape(), b.shape(), name));
    binary_loop<bool, bool, bool>(a, b, out, [](bool x, bool y) {
      return op == Logic::And ? (x && y) : op == Logic::Or ? (x || y) : (x != y);
    });
    return std::vector<Array>{out};
  };
}

// com.microsoft BiasGelu: gelu(x + bias); FastGelu: the tanh form, optional bias.
template <bool tanh_form>
Kernel make_bias_gelu(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    Array x = required_input(in, 0, name);
    if (const Array* bias = optional_input(in, 1)) x = arithmetic(Arith::Add, x, *bias, name);
    return std::vector<Array>{map_floats(x, name, [](auto v) { return tanh_form ? gelu_tanh(v) : gelu_erf(v); })};
  };
}

Kernel make_where(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    const Array& c = required_input(in, 0, name);
    const Array& x = required_input(in, 1, name);
    const Array& y = required_input(in, 2, name);
    if (c.type() != DType::Bool) throw Error(name + ": condition must be bool, got " + c.describe());
    require_same_type(x, y, name);
    const Shape shape = broadcast_shapes(broadcast_shapes(c.shape(), x.shape(), name), y.shape(), name);
    Array out(x.type(), shape);
    const std::array<std::vector<int64_t>, 3> strides{broadcast_strides(c.shape(), shape),
                                                       broadcast_strides(x.shape(), shape),
                                                       broadcast_strides(y.shape(), shape)};
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      T* o = out.mutable_as<T>();
      for_each_broadcast(shape, strides, [&](int64_t i, const std::array<int64_t, 3>& at) {
        o[i] = c.as<bool>()[at[0]] ? x.as<T>()[at[1]] : y.as<T>()[at[2]];
      });
    });
    return std::vector<Array>{out};
  };
}

// Clip: bounds are attributes before opset 11, optional scalar inputs after.
Kernel make_clip(const NodeIR& node, int64_t opset) {
  const std::string name = node.describe();
  const float attr_min = node.get_float("min", -std::numeric_limits<float>::infinity());
  const float attr_max = node.get_float("max", std::numeric_limits<float>::infinity());
  const bool bounds_are_inputs = opset >= 11;
  return [=](Inputs in) {
    const Array& x = required_input(in, 0, name);
    Array out(x.type(), x.shape());
    visit_type(x.type(), [&](auto tag) {
      using T = decltype(tag);
      using C = Compute<T>;
      if constexpr (std::is_same_v<T, bool>) {
        throw Error(name + ": Clip on bool tensors is not defined");
      } else {
        C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
        if (!bounds_are_inputs) {
          lo = C(attr_min);
          hi = C(attr_max);
        } else {
          for (int k = 1; k <= 2; ++k) {
            const Array* bound = optional_input(in, k);
            if (!bound) continue;
            if (bound->numel() != 1 || bound->type() != x.type()) {
              throw Error(name + ": bounds must be scalars of the input's type, got " + bound->describe());
            }
            (k == 1 ? lo : hi) = C(bound->as<T>()[0]);
          }
        }
        for (int64_t i = 0; i < x.numel(); ++i) {
          const C v = C(x.as<T>()[i]);
          out.mutable_as<T>()[i] = T(v < lo ? lo : (v > hi ? hi : v));
        }
      }
    });
    return std::vector<Array>{out};
  };
}

Array cast(const Array& x, DType to) {
  Array out(to, x.shape());
  visit_type(x.type(), [&](auto from_tag) {
    visit_type(to, [&](auto to_tag) {
      using From = decltype(from_tag);
      using To = decltype(to_tag);
      const From* in = x.as<From>();
      To* o = out.mutable_as<To>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        if constexpr (std::is_same_v<To, bool>) {
          o[i] = static_cast<Compute<From>>(in[i]) != 0;
        } else if constexpr (is_float_like_v<From> && std::is_integral_v<To>) {
          // Out-of-range float to integer is undefined in C++; saturate like ORT does for NaN/inf.
          const double v = static_cast<double>(static_cast<Compute<From>>(in[i]));
          o[i] = std::isnan(v) ? To(0)
                 : v <= static_cast<double>(std::numeric_limits<To>::lowest()) ? std::numeric_limits<To>::lowest()
                 : v >= static_cast<double>(std::numeric_limits<To>::max()) ? std::numeric_limits<To>::max()
                                                                          : static_cast<To>(v);
        } else {
          o[i] = To(static_cast<Compute<To>>(static_cast<Compute<From>>(in[i])));
        }
      }
    });
  });
  return out;
}

Kernel make_cast(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const int64_t to = node.get_int("to", 0);
  if (!is_known_elem_type(static_cast<int32_t>(to))) {
    throw Error(name + ": cast to ONNX element type " + std::to_string(to) + " is not supported");
  }
  return [name, to](Inputs in) {
    return std::vector<Array>{cast(required_input(in, 0, name), static_cast<DType>(to))};
  };
}

Kernel make_identity(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) { return std::vector<Array>{required_input(in, 0, name)}; };
}

}  // namespace

Array add_arrays(const Array& a, const Array& b, const std::string& node) { return arithmetic(Arith::Add, a, b, node); }

void register_elementwise_kernels(KernelTable& t) {
  t[":Sqrt"] = make_sqrt;
  t[":Erf"] = make_erf;
  t[":Tanh"] = make_tanh;
  t[":Exp"] = make_exp;
  t[":Log"] = make_log;
  t[":Cos"] = make_cos;
  t[":Sin"] = make_sin;
  t[":Sigmoid"] = make_sigmoid;
  t[":Relu"] = make_relu;
  t[":Reciprocal"] = make_reciprocal;
  t[":Neg"] = make_neg;
  t[":Abs"] = make_abs;
  t[":Not"] = make_not;
  t[":Add"] = make_arithmetic<Arith::Add>;
  t[":Sub"] = make_arithmetic<Arith::Sub>;
  t[":Mul"] = make_arithmetic<Arith::Mul>;
  t[":Div"] = make_arithmetic<Arith::Div>;
  t[":Max"] = make_variadic<Arith::Max>;
  t[":Min"] = make_variadic<Arith::Min>;
  t[":Pow"] = make_pow;
  t[":Equal"] = make_compare<Compare::Equal>;
  t[":Less"] = make_compare<Compare::Less>;
  t[":Greater"] = make_compare<Compare::Greater>;
  t[":LessOrEqual"] = make_compare<Compare::LessOrEqual>;
  t[":GreaterOrEqual"] = make_compare<Compare::GreaterOrEqual>;
  t[":And"] = make_logic<Logic::And>;
  t[":Or"] = make_logic<Logic::Or>;
  t[":Xor"] = make_logic<Logic::Xor>;
  t[":Where"] = make_where;
  t[":Clip"] = make_clip;
  t[":Cast"] = make_cast;
  t[":Identity"] = make_identity;
  t["com.microsoft:Gelu"] = make_gelu;
  t["com.microsoft:QuickGelu"] = make_quick_gelu;
  t["com.microsoft:BiasGelu"] = make_bias_gelu<false>;
  t["com.microsoft:FastGelu"] = make_bias_gelu<true>;
}

}  // namespace attn::interpreter
