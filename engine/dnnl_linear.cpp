#include "engine/dnnl_linear.h"

namespace attn {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

bool onednn_has_native_bf16() {
  static const bool native = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
  }();
  return native;
}

std::string onednn_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

template <dt Input>
MatmulPrimitive<Input>::MatmulPrimitive(int64_t rows, int64_t in_features, int64_t out_features, bool has_bias,
                                        int64_t y_stride) {
  const dnnl::memory::desc src_md({rows, in_features}, Input, tag::ab);
  const dnnl::memory::desc weights_md({in_features, out_features}, Input, tag::ba);  // = W[out, in] row-major
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

template <dt Input>
void MatmulPrimitive<Input>::run(dnnl::stream& stream, const Element* x, const Element* weight, const float* bias,
                                 float* y) {
  // oneDNN takes non-const handles but only reads inputs.
  src_.set_data_handle(const_cast<Element*>(x));
  weights_.set_data_handle(const_cast<Element*>(weight));
  dst_.set_data_handle(y);
  if (bias) bias_.set_data_handle(const_cast<float*>(bias));
  matmul_.execute(stream, args_);
  stream.wait();
}

template class MatmulPrimitive<dt::f32>;
template class MatmulPrimitive<dt::bf16>;

}  // namespace attn
