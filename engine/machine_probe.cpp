#include "attn/machine.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "engine/dnnl_linear.h"
#include "engine/kernels/kernels.h"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

double probe_read_bandwidth() {
  constexpr int64_t kFloats = int64_t{64} << 20;  // 256 MiB, far beyond any L3
  const std::unique_ptr<float[]> buffer(new float[kFloats]);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < kFloats; ++i) buffer[i] = 1.f;  // each thread touches the pages it reads
  const auto& k = kernels::active();
  double best = 0;
  volatile float sink = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = Clock::now();
    float total = 0;
#pragma omp parallel reduction(+ : total)
    {
      const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
      const int64_t begin = kFloats * t / threads, end = kFloats * (t + 1) / threads;
      // dot(x, x) loads each element once from memory (the second operand hits L1).
      total += k.dot(buffer.get() + begin, buffer.get() + begin, end - begin);
    }
    sink = sink + total;
    best = std::max(best, kFloats * sizeof(float) / elapsed(start));
  }
  return best;
}

double probe_gemm_flops(int64_t rows, const std::vector<MatrixShape>& shapes) {
  std::map<std::pair<int64_t, int64_t>, int> counts;
  for (const MatrixShape& s : shapes) ++counts[{s.in_features, s.out_features}];
  dnnl::stream stream(cpu_engine());
  double flops = 0, seconds = 0;
  for (const auto& [shape, count] : counts) {
    const auto [in, out] = shape;
    std::vector<float> x(rows * in, 0.5f), w(in * out, 0.25f), y(rows * out);
    LinearPrimitive matmul(rows, in, out, false, out);
    matmul.run(stream, x.data(), w.data(), nullptr, y.data());  // warm-up
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      const auto start = Clock::now();
      matmul.run(stream, x.data(), w.data(), nullptr, y.data());
      best = std::min(best, elapsed(start));
    }
    flops += count * 2.0 * rows * in * out;
    seconds += count * best;
  }
  return seconds > 0 ? flops / seconds : 0;
}

}  // namespace attn
