#include "engine/dnnl_int8_linear.h"

#include "engine/dnnl_linear.h"

namespace attn {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

Int8LinearPrimitive::Int8LinearPrimitive(int64_t rows, int64_t in_features, int64_t out_features, bool,
                                         int64_t y_stride) {
  const dnnl::memory::desc src_md({rows, in_features}, dt::s8, tag::ab);
  const dnnl::memory::desc weights_md({in_features, out_features}, dt::s8, tag::ba);  // = W[out, in] row-major
  const dnnl::memory::desc dst_md({rows, out_features}, dt::f32, dnnl::memory::dims{y_stride, 1});
  const dnnl::memory::desc weight_scales_md({out_features}, dt::f32, tag::a);
  dnnl::primitive_attr attr;
  attr.set_output_scales(1 << 1, {DNNL_RUNTIME_F32_VAL});  // one per output column
  auto& engine = cpu_engine();
  const dnnl::matmul::desc desc(src_md, weights_md, dst_md);
  matmul_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, engine));
  src_ = dnnl::memory(src_md, engine, DNNL_MEMORY_NONE);
  weights_ = dnnl::memory(weights_md, engine, DNNL_MEMORY_NONE);
  weight_scales_ = dnnl::memory(weight_scales_md, engine, DNNL_MEMORY_NONE);
  dst_ = dnnl::memory(dst_md, engine, DNNL_MEMORY_NONE);
  args_ = {{DNNL_ARG_SRC, src_},
           {DNNL_ARG_WEIGHTS, weights_},
           {DNNL_ARG_DST, dst_},
           {DNNL_ARG_ATTR_OUTPUT_SCALES, weight_scales_}};
}

void Int8LinearPrimitive::run(dnnl::stream& stream, const int8_t* x, const int8_t* weight,
                              const float* weight_scales, float* y) {
  // oneDNN takes non-const handles but only reads inputs.
  src_.set_data_handle(const_cast<int8_t*>(x));
  weights_.set_data_handle(const_cast<int8_t*>(weight));
  weight_scales_.set_data_handle(const_cast<float*>(weight_scales));
  dst_.set_data_handle(y);
  matmul_.execute(stream, args_);
  stream.wait();
}

}  // namespace attn
