// The table of architectures attn can build, by the name config.json gives
// in "architectures". Adding a family means one builder file and one row.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attn/model.h"
#include "engine/graph.h"
#include "loaders/checkpoint.h"

namespace attn {

// A builder's result: the graph, and the facts of the model it read from
// the config (sizes, encoder, class labels); the loader adds the rest of
// ModelInfo (path, format, parameters, EOS ids).
struct BuiltModel {
  Graph graph;
  ModelInfo info;
  std::optional<Graph> encoder = std::nullopt;  // encoder-decoder models: the encoder; `graph` is the decoder
};

struct Architecture {
  std::string_view name;
  BuiltModel (*build)(const Checkpoint& checkpoint);
};

// Throws attn::Error naming the config and the supported architectures.
const Architecture& find_architecture(const Checkpoint& checkpoint);

BuiltModel build_llama(const Checkpoint& checkpoint);
BuiltModel build_gemma(const Checkpoint& checkpoint);
BuiltModel build_phi3(const Checkpoint& checkpoint);
BuiltModel build_gpt2(const Checkpoint& checkpoint);
BuiltModel build_bert(const Checkpoint& checkpoint);
BuiltModel build_marian(const Checkpoint& checkpoint);
BuiltModel build_t5(const Checkpoint& checkpoint);
BuiltModel build_m2m100(const Checkpoint& checkpoint);

}  // namespace attn
