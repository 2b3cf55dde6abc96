// llama2.c .bin checkpoints: the 7-int header (or the versioned "ak42" one)
// and the weight blocks it implies, with stories260K's tokenizer; a model
// that loads runs one forward pass.
#include "attn/model.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = attn::fuzz::write_scratch("model.bin", data, size);
  attn::LoadOptions options;
  options.tokenizer = attn::fuzz::shared_dir() / "models" / "stories260K" / "tok512.model";
  try {
    const auto model = attn::Model::load(path, options);
    attn::Session session(model);
    const std::vector<attn::TokenId> ids{1, 2};
    (void)session.forward(ids);
  } catch (const attn::Error&) {
  }
  return 0;
}
