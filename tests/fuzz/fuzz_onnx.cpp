// ONNX model files (protobuf ModelProto): the reader, shape inference, the
// fusion passes and the primitive interpreter's checks, with stories260K's
// tokenizer.
#include "attn/model.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("model.onnx", data, size);
  attn::LoadOptions options;
  options.tokenizer = attn::fuzz::shared_dir() / "models" / "stories260K" / "tok512.model";
  try {
    (void)attn::Model::load(path, options);
  } catch (const attn::Error&) {
  }
  return 0;
}
