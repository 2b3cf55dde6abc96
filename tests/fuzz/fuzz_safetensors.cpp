// safetensors files: the 8-byte length, the JSON header (dtypes, shapes,
// offsets) and the data section, read as model.safetensors is.
#include "fuzz_support.h"
#include "loaders/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("model.safetensors", data, size);
  try {
    for (const auto& [name, tensor] : attn::read_safetensors(path).tensors) {
      if (tensor.nbytes() <= 4096) (void)tensor.to_f32();  // reads every element
    }
  } catch (const attn::Error&) {
  }
  return 0;
}
