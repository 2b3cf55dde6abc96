// The table of architectures attn can build, by the name config.json gives
// in "architectures". Adding a family means one builder file and one row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/graph.h"
#include "loaders/checkpoint.h"

namespace attn {

struct BuiltModel {
  Graph graph;
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int context_length = 0;
  bool encoder = false;  // see ModelInfo::encoder
  int type_vocab_size = 0;
  std::vector<std::string> class_labels = {};  // see ModelInfo::class_labels
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

}  // namespace attn
