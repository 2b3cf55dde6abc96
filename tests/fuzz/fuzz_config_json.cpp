// config.json of a Hugging Face directory, loaded with stories260K's weights
// and tokenizer beside it: the architecture table, every key the builders
// read, and the checks against the weights' shapes.
#include "attn/model.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path model = attn::fuzz::shared_dir() / "models" / "stories260K-hf";
  for (const char* name : {"model.safetensors", "tokenizer.model", "tokenizer_config.json"}) {
    attn::fuzz::link_scratch(name, model / name);
  }
  attn::fuzz::write_scratch("config.json", data, size);
  try {
    (void)attn::Model::load(attn::fuzz::scratch_dir());
  } catch (const attn::Error&) {
  }
  return 0;
}
