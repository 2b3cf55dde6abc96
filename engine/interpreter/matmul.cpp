// Matrix products: MatMul (numpy batching and 1-D promotion), Gemm, and the
// contrib FusedMatMul (with ORT's transBatchA/B layouts) / FusedGemm. f32 goes through oneDNN's sgemm; other
// types use a plain loop (they appear in tests, not in real exports).
#include <oneapi/dnnl/dnnl.h>

#include <cmath>
#include <cstring>

#include "attn/error.h"
#include "engine/interpreter/broadcast.h"
#include "engine/interpreter/kernel.h"

namespace attn::interpreter {
namespace {

// C[m, n] = alpha * op(A)[m, k] op(B)[k, n] + beta * C, row-major with leading dimensions lda, ldb, n.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const T* a, const T* b,
          float beta, T* c) {
  if (m == 0 || n == 0) return;
  const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  if constexpr (std::is_same_v<T, float>) {
    if (k > 0) {
      if (dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, n) !=
          dnnl_success) {
        throw Error("oneDNN sgemm failed for a [" + std::to_string(m) + ", " + std::to_string(k) + "] x [" +
                    std::to_string(k) + ", " + std::to_string(n) + "] product");
      }
      return;
    }
  }
  using C = std::conditional_t<is_float_like_v<T>, double, Compute<T>>;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      C sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        sum += C(Compute<T>(a[trans_a ? p * lda + i : i * lda + p])) * C(Compute<T>(b[trans_b ? j * ldb + p : p * ldb + j]));
      }
      const C previous = beta == 0 ? C(0) : C(Compute<T>(c[i * n + j]));
      c[i * n + j] = T(Compute<T>(C(alpha) * sum + C(beta) * previous));
    }
  }
}

// numpy.matmul: 1-D operands are promoted and the added axis removed;
// leading (batch) axes broadcast. `trans_*` transposes the last two axes of
// a matrix operand (FusedMatMul; a vector is not transposed, as in ORT).
Array matmul(const Array& a, const Array& b, bool trans_a, bool trans_b, float alpha, const std::string& name) {
  if (a.type() != b.type()) throw Error(name + ": input types differ (" + a.describe() + " and " + b.describe() + ")");
  if (a.rank() == 0 || b.rank() == 0) throw Error(name + ": MatMul of a scalar");
  trans_a = trans_a && a.rank() > 1;
  trans_b = trans_b && b.rank() > 1;
  Shape sa = a.shape(), sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  if (trans_a) std::swap(sa[sa.size() - 1], sa[sa.size() - 2]);
  if (trans_b) std::swap(sb[sb.size() - 1], sb[sb.size() - 2]);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  if (sb[sb.size() - 2] != k) {
    throw Error(name + ": inner dimensions differ: " + a.describe() + " x " + b.describe());
  }
  const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b, name);
  Shape out_shape = batch;
  if (a.rank() > 1) out_shape.push_back(m);
  if (b.rank() > 1) out_shape.push_back(n);
  Array out(a.type(), out_shape);
  const std::array<std::vector<int64_t>, 2> strides{broadcast_strides(batch_a, batch),
                                                     broadcast_strides(batch_b, batch)};
  visit_type(a.type(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw Error(name + ": MatMul of bool tensors is not defined");
    } else {
      T* po = out.mutable_as<T>();
      for_each_broadcast(batch, strides, [&](int64_t i, const std::array<int64_t, 2>& at) {
        gemm<T>(trans_a, trans_b, m, n, k, alpha, a.as<T>() + at[0] * m * k, b.as<T>() + at[1] * k * n, 0.f,
                po + i * m * n);
      });
    }
  });
  return out;
}

Kernel make_matmul(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  return [name](Inputs in) {
    return std::vector<Array>{matmul(required_input(in, 0, name), required_input(in, 1, name), false, false, 1.f, name)};
  };
}

// transBatchA/B (ONNX Runtime folds a Transpose that moves the first axis
// behind the batch axes into the product): an operand [d0, b..., d_last] of
// rank >= 3 is read as [b..., d0, d_last], and transA/B then swap its last
// two axes as usual. The operand is permuted once, then multiplied.
Array batch_transposed(const Array& x, bool trans_batch, const std::string& name) {
  if (!trans_batch || x.rank() < 3) return x;
  std::vector<int64_t> perm;
  for (int i = 1; i < x.rank() - 1; ++i) perm.push_back(i);
  perm.push_back(0);
  perm.push_back(x.rank() - 1);
  return transpose_array(x, perm, name);
}

Kernel make_fused_matmul(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const bool trans_a = node.get_int("transA", 0) != 0, trans_b = node.get_int("transB", 0) != 0;
  const bool trans_batch_a = node.get_int("transBatchA", 0) != 0, trans_batch_b = node.get_int("transBatchB", 0) != 0;
  const float alpha = node.get_float("alpha", 1.f);
  return [=](Inputs in) {
    const Array a = batch_transposed(required_input(in, 0, name), trans_batch_a, name);
    const Array b = batch_transposed(required_input(in, 1, name), trans_batch_b, name);
    return std::vector<Array>{matmul(a, b, trans_a, trans_b, alpha, name)};
  };
}

// Gemm: Y = alpha * op(A) op(B) + beta * C, C broadcast to [M, N].
// FusedGemm adds an activation (the ones exported transformer graphs use).
Kernel make_gemm(const NodeIR& node, int64_t) {
  const std::string name = node.describe();
  const bool trans_a = node.get_int("transA", 0) != 0, trans_b = node.get_int("transB", 0) != 0;
  const float alpha = node.get_float("alpha", 1.f), beta = node.get_float("beta", 1.f);
  const std::string activation = node.get_string("activation", "");
  if (!activation.empty() && activation != "Relu" && activation != "Tanh" && activation != "Sigmoid") {
    throw Error(name + ": activation '" + activation + "' is not supported (Relu, Tanh, Sigmoid are)");
  }
  return [=](Inputs in) {
    const Array& a = required_input(in, 0, name);
    const Array& b = required_input(in, 1, name);
    if (a.rank() != 2 || b.rank() != 2 || a.type() != b.type()) {
      throw Error(name + ": expects two 2-D tensors of one type, got " + a.describe() + " and " + b.describe());
    }
    const int64_t m = trans_a ? a.shape()[1] : a.shape()[0], k = trans_a ? a.shape()[0] : a.shape()[1];
    const int64_t n = trans_b ? b.shape()[0] : b.shape()[1];
    if ((trans_b ? b.shape()[1] : b.shape()[0]) != k) {
      throw Error(name + ": inner dimensions differ: " + a.describe() + " x " + b.describe());
    }
    Array out(a.type(), {m, n});
    const Array* c = optional_input(in, 2);
    if (c && beta != 0) {
      if (c->type() != a.type()) throw Error(name + ": C has another type than A");
      const Shape shape{m, n};
      if (broadcast_shapes(c->shape(), shape, name) != shape) throw Error(name + ": C does not broadcast to [M, N]");
      const Array broadcast = add_arrays(Array(a.type(), shape), *c, name);
      std::memcpy(out.mutable_as<std::byte>(), broadcast.data(), out.nbytes());
    }
    visit_type(a.type(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        throw Error(name + ": Gemm of bool tensors is not defined");
      } else {
        gemm<T>(trans_a, trans_b, m, n, k, alpha, a.as<T>(), b.as<T>(), c ? beta : 0.f, out.mutable_as<T>());
        if constexpr (is_float_like_v<T>) {
          for (int64_t i = 0; i < out.numel() && !activation.empty(); ++i) {
            const auto v = Compute<T>(out.as<T>()[i]);
            const auto y = activation == "Relu" ? (v > 0 ? v : 0) : activation == "Tanh" ? std::tanh(v)
                                                                                     : 1 / (1 + std::exp(-v));
            out.mutable_as<T>()[i] = T(Compute<T>(y));
          }
        }
      }
    });
    return std::vector<Array>{out};
  };
}

}  // namespace

void register_matmul_kernels(KernelTable& t) {
  t[":MatMul"] = make_matmul;
  t[":Gemm"] = make_gemm;
  t["com.microsoft:FusedMatMul"] = make_fused_matmul;
  t["com.microsoft:FusedGemm"] = make_gemm;
}

}  // namespace attn::interpreter
