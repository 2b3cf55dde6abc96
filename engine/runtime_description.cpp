#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <string>

#include "attn/model.h"
#include "engine/kernels/kernels.h"

namespace attn {
namespace {

// How OpenMP threads wait, as the environment says (libgomp read it when it
// started; the attn command bounds the spinning, tools/openmp_waiting.cpp).
std::string openmp_waiting() {
  if (const char* policy = std::getenv("OMP_WAIT_POLICY")) return std::string("OMP_WAIT_POLICY=") + policy;
  if (const char* spins = std::getenv("GOMP_SPINCOUNT")) return std::string("GOMP_SPINCOUNT=") + spins;
  return "libgomp's default spinning";
}

}  // namespace

std::string runtime_description() {
  const dnnl_version_t* v = dnnl_version();
  return std::string("kernels ") + kernels::active().name + ", oneDNN " + std::to_string(v->major) + "." +
         std::to_string(v->minor) + "." + std::to_string(v->patch) + ", OpenMP threads wait: " + openmp_waiting();
}

}  // namespace attn
