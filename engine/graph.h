// A static graph: built once per model by a builder, then executed for any
// number of tokens. Values are [rows, width] activations; rows (tokens) are
// symbolic until run time, widths are fixed at build time. Node order is a
// topological order, since a node can only use values that already exist.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/op.h"

namespace attn {

using ValueId = int;

struct Node {
  std::unique_ptr<Op> op;
  std::vector<ValueId> inputs;
  ValueId output;
};

class Graph {
 public:
  // Appends a node; returns the value it produces. Inputs must exist.
  ValueId add(std::unique_ptr<Op> op, std::vector<ValueId> inputs);
  void set_output(ValueId value);
  // A further result read after a run, one row per sequence (an encoder's
  // "pooler_output", a classifier's "logits").
  void add_head(std::string name, ValueId value);
  // Swaps the op computing `value` for one of the same output width (a pass
  // converting weights).
  void replace_op(ValueId value, std::unique_ptr<Op> op);
  // An LM head that reads the token embedding table (tied embeddings): a
  // pass that converts the head's weight converts the table with it, so the
  // model keeps one copy.
  struct Tie {
    ValueId embedding, head;
  };
  void set_tie(Tie tie) { tie_ = tie; }
  const std::optional<Tie>& tie() const { return tie_; }

  // The encoder graph of an encoder-decoder model ends in the keys and
  // values of every decoder cross-attention layer (by its slot), for all
  // source rows; Session::encode keeps them per source sentence.
  struct CrossAttentionSource {
    ValueId keys, values;
    int heads, head_dim;
  };
  void add_cross_attention_source(CrossAttentionSource source) { cross_attention_sources_.push_back(source); }
  const std::vector<CrossAttentionSource>& cross_attention_sources() const { return cross_attention_sources_; }

  const std::vector<Node>& nodes() const { return nodes_; }
  int value_count() const { return static_cast<int>(nodes_.size()); }
  ValueId output() const { return output_; }
  const std::map<std::string, ValueId>& heads() const { return heads_; }
  int64_t output_width() const;
  // Op name -> how many nodes use it (for `attn inspect`).
  std::map<std::string, int> op_counts() const;

 private:
  std::vector<Node> nodes_;  // node i produces value i
  ValueId output_ = -1;
  std::map<std::string, ValueId> heads_;
  std::optional<Tie> tie_;
  std::vector<CrossAttentionSource> cross_attention_sources_;
};

}  // namespace attn
