#include "engine/dnnl_linear.h"

namespace attn {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

LinearPrimitive::LinearPrimitive(int64_t rows, int64_t in_features, int64_t out_features, bool has_bias,
                                 int64_t y_stride) {
  const dnnl::memory::desc src_md({rows, in_features}, dt::f32, tag::ab);
  const dnnl::memory::desc weights_md({in_features, out_features}, dt::f32, tag::ba);  // = W[out, in] row-major
  const dnnl::memory::desc dst_md({rows, out_features}, dt::f32, dnnl::memory::dims{y_stride, 1});
  const dnnl::memory::desc bias_md = has_bias ? dnnl::memory::desc({1, out_features}, dt::f32, tag::ab)
                                              : dnnl::memory::desc();
  auto& engine = cpu_engine();
  const dnnl::matmul::desc desc(src_md, weights_md, bias_md, dst_md);
  matmul_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, engine));
  src_ = dnnl::memory(src_md, engine, DNNL_MEMORY_NONE);
  weights_ = dnnl::memory(weights_md, engine, DNNL_MEMORY_NONE);
  dst_ = dnnl::memory(dst_md, engine, DNNL_MEMORY_NONE);
  args_ = {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst_}};
  if (has_bias) {
    bias_ = dnnl::memory(bias_md, engine, DNNL_MEMORY_NONE);
    args_.emplace(DNNL_ARG_BIAS, bias_);
  }
}

void LinearPrimitive::run(dnnl::stream& stream, const float* x, const float* weight, const float* bias, float* y) {
  // oneDNN takes non-const handles but only reads inputs.
  src_.set_data_handle(const_cast<float*>(x));
  weights_.set_data_handle(const_cast<float*>(weight));
  dst_.set_data_handle(y);
  if (bias) bias_.set_data_handle(const_cast<float*>(bias));
  matmul_.execute(stream, args_);
  stream.wait();
}

}  // namespace attn
