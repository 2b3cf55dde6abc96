// GGUF files: header, metadata of every type, tensor descriptions and data
// ranges, the config and tensor names derived from them, and the tokenizer
// built from the metadata; a model that loads runs one forward pass.
#include "attn/model.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("model.gguf", data, size);
  try {
    const auto model = attn::Model::load(path);
    attn::Session session(model);
    (void)model->tokenizer().encode("Hello world");
    const std::vector<attn::TokenId> ids{1, 2};
    (void)session.forward(ids);
  } catch (const attn::Error&) {
  }
  return 0;
}
