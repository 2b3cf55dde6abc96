#include <oneapi/dnnl/dnnl.hpp>

#include <string>

#include "attn/model.h"
#include "engine/kernels/kernels.h"

namespace attn {

std::string runtime_description() {
  const dnnl_version_t* v = dnnl_version();
  return std::string("kernels ") + kernels::active().name + ", oneDNN " + std::to_string(v->major) + "." +
         std::to_string(v->minor) + "." + std::to_string(v->patch);
}

}  // namespace attn
